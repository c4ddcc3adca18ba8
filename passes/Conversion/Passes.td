//===- Passes.td - attune conversions ----------------------*- tablegen -*-===//

#ifndef ATTUNE_CONVERSION_PASSES_TD
#define ATTUNE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertAttnToLinalgPass
    : Pass<"convert-attn-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower attn ops through their reference decomposition";
  let description = [{
    Replaces every op implementing `ReferenceDecompositionOpInterface` by its
    decomposition into linalg/tensor/arith/math on tensors.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

def ConvertAttnToCpuKernelsPass
    : Pass<"convert-attn-to-cpu-kernels", "::mlir::ModuleOp"> {
  let summary = "Lower attn.sdpa, attn.recycle, attn.block_select, attn.linear and attn.agent to the CPU kernel library";
  let description = [{
    Every `attn.sdpa` the kernel library implements (f32, or f16 / bf16
    converted to f32 around the call; any mask kind, causality, softcap,
    window, block map, dense heads, ZeroTuning, ACT, RazorAttention's
    compensation token over a plain window) becomes a call of
    `attune_sdpa_f32` on buffers, so that no Lq x Lk score matrix is ever
    materialized; the rest (a compensation token with dilation, a block
    map or a boolean mask, other element types) keeps the reference
    lowering of `convert-attn-to-linalg`.
    `attn.recycle` keeps its reference state update, but its attention is a
    kernel call over the kept positions plus the tokens since the last full
    step (every key on a full step), and the full-step work sits under an
    `scf.if`: the kernel call also writes the last query row's scores, and
    `attune_recycle_topk_f32` selects the new kept positions from them, so
    a partial step reads only the kept rows of the cache and a full step
    reads the cache once.
    `attn.block_select` on f32 inputs becomes a call of
    `attune_block_select_f32` (MoBA, SLA and SALE selection; SALE's
    low-precision estimate is computed block by block, never as an Lq x Lk
    tensor).
    `attn.linear` on f32 (kernelized elu+1 / relu, MALA, Lightning with
    decay; causal or not) becomes a call of `attune_linear_f32`, the chunked
    O(L D E) form with a running K^T [V, 1] state; the SLA hybrid's
    `exclude` term combines per-key-block states per query block.
    `attn.agent` on f32 becomes the agent tokens (one reduction over each
    segment of Q) and two `attune_sdpa_f32` calls: the agents over the keys,
    then the queries over the agents.

    The kernel runs the tiled form both backends share: one program per
    (batch, key/value head, query tile), a loop over key tiles that skips
    tiles every rule drops and masks only the tiles a rule cuts, with an
    online softmax (running max, running sum, rescaled accumulator). The op's
    `attn.tiling = array<i64: tile_q, tile_k>` attribute (from `attn-tile`)
    or the pass options choose the tile sizes; the attributes of the op go
    to the kernel unchanged, as the i64/f64 parameter arrays described in
    include/attune/Runtime/CpuKernels.h.

    ```mlir
    // before
    %o = attn.sdpa %q, %k, %v {causal = #attn.causal<bottom_right>}
         : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
         -> tensor<1x2x8x16xf32>
    // after
    %qb = bufferization.to_buffer %q read_only : ...
    %ob = memref.alloc() : memref<1x2x8x16xf32>
    call @attune_sdpa_f32(%qc, %kc, %vc, %oc, ..., %iparams, %fparams) : ...
    %o = bufferization.to_tensor %ob restrict writable : ...
    ```
  }];
  let options = [
    Option<"tileQ", "tile-q", "int64_t", /*default=*/"0",
           "Query rows per tile (0: the op's attn.tiling, else the library's choice)">,
    Option<"tileK", "tile-k", "int64_t", /*default=*/"0",
           "Keys per tile (0: the op's attn.tiling, else the library's choice)">,
  ];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

def ConvertLinalgToCpuKernelsPass
    : Pass<"convert-linalg-to-cpu-kernels", "::mlir::ModuleOp"> {
  let summary = "Lower f32 linalg contractions to the CPU GEMM kernel";
  let description = [{
    Every f32 contraction on static tensors -- `linalg.matmul`,
    `linalg.batch_matmul`, and `linalg.generic` ops whose body is a
    multiply-add and whose loops are one m, one n, one k and any number of
    batch dims, with projected-permutation operand maps -- becomes a call of
    `attune_gemm_f32` (include/attune/Runtime/CpuKernels.h) on buffers.
    Each operand is passed as a rank-3 `[batch, rows, cols]` view
    (`memref.reinterpret_cast`) whose strides encode its layout, so
    transposed or broadcast operands are never copied; batch dims that do
    not flatten into one strided dim become `scf.for` loops around the call.
    A zero-filled (or undefined) init is overwritten; any other init is
    passed as the addend. Contractions with fewer than `min-macs`
    multiply-adds keep the loop lowering: a call costs about 120 ns, which
    the loops beat below about 8x8x8 (measured with `attune bench` on
    chains of 50 square MatMuls: 6^3 loops 100 ns vs call 120 ns, 8^3
    180 ns vs 140 ns, 12^3 580 ns vs 160 ns).

    ```mlir
    // before
    %z = linalg.fill ins(%cst0 : f32) outs(%e : tensor<64x96xf32>) -> tensor<64x96xf32>
    %c = linalg.matmul ins(%a, %b : tensor<64x32xf32>, tensor<32x96xf32>)
                       outs(%z : tensor<64x96xf32>) -> tensor<64x96xf32>
    // after
    %ab = bufferization.to_buffer %a read_only : tensor<64x32xf32> to memref<64x32xf32>
    %bb = bufferization.to_buffer %b read_only : tensor<32x96xf32> to memref<32x96xf32>
    %cb = memref.alloc() : memref<64x96xf32>
    %av = memref.reinterpret_cast %ab to offset: [0], sizes: [1, 64, 32], strides: [0, 32, 1] ...
    ...
    call @attune_gemm_f32(%avc, %bvc, %cvc, %cvc, %c256_i64) : ...
    %c = bufferization.to_tensor %cb restrict writable : memref<64x96xf32> to tensor<64x96xf32>
    ```
  }];
  let options = [
    Option<"minMacs", "min-macs", "int64_t", /*default=*/"512",
           "Contractions with fewer multiply-adds (batch x M x N x K) keep the loop lowering">,
  ];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect"];
}

def ConvertOnnxToLinalgPass
    : Pass<"convert-onnx-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower onnx.node ops to linalg/tensor/arith/math on tensors";
  let description = [{
    One small handler per ONNX op type (keyed by name and opset). Every node
    must have static shapes (run `onnx-infer-shapes` first); a node without a
    handler is an error that names it.

    ```mlir
    // before
    %y = onnx.node "Relu" v14 (%x) : (tensor<4xf32>) -> tensor<4xf32>
    // after
    %e = tensor.empty() : tensor<4xf32>
    %y = linalg.generic ... { arith.maximumf ... }
    ```

    Checks on input data that ONNX defines as errors become run-time checks:
    a Gather / GatherElements index outside [-dim, dim) calls
    `attune_check_failed(site, index, dim)` (the kernel library records it)
    and reads a clamped index; the runners report the first failure of a run
    with message number `site` of the module's `attune.checks` list. The
    checks are part of the loop bodies: a Gather whose result is dead is not
    checked. (An axis of size 0 with indices to read is a compile-time
    error.)

    ```mlir
    // in the Gather's linalg.generic body
    %bad = arith.cmpi uge, %wrapped, %c10 : index
    scf.if %bad {
      func.call @attune_check_failed(%c0_i64, %raw, %c10_i64)
          : (i64, i64, i64) -> ()
    }
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::func::FuncDialect"];
}

def MaterializeReturnsPass
    : Pass<"attn-materialize-returns", "::mlir::func::FuncOp"> {
  let summary = "Give every returned tensor its own buffer before bufferization";
  let description = [{
    With results turned into caller-provided out-parameters, each returned
    value needs a buffer of its own: a value returned twice, a function
    argument or a constant returned as is would otherwise alias another
    output or an input. This inserts a copy for those.

    ```mlir
    // before
    return %a, %a : tensor<4xf32>, tensor<4xf32>
    // after
    %c = bufferization.alloc_tensor() copy(%a) : tensor<4xf32>
    return %a, %c : tensor<4xf32>, tensor<4xf32>
    ```
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def LowerStridedCopiesPass
    : Pass<"attn-lower-strided-copies", "::mlir::ModuleOp"> {
  let summary = "Turn strided memref.copy into loops of contiguous block copies";
  let description = [{
    Runs after bufferization. `finalize-memref-to-llvm` lowers a
    `memref.copy` to one memcpy only when both sides are contiguous, and any
    other copy (the bufferized `tensor.insert_slice` of a Concat, Pad or
    Slice) to the runtime's element-by-element `memrefCopy`. This pass
    rewrites a copy with static shape and strides into `scf.for` loops over
    its outer dimensions around a copy of the largest innermost block that is
    contiguous on both sides (a memcpy of constant size), or around a scalar
    load/store when not even the last dimension is contiguous. With
    `kernel-calls`, f32 copies of at least `min-call-bytes` (contiguous or
    not) instead become a call of the kernel library's `attune_copy_f32` on
    unranked memrefs, which splits them over the kernel threads. A
    `linalg.transpose` on buffers that keeps the innermost dimension (the
    head split and merge around attention) first becomes a `memref.copy`
    from a `memref.transpose` view of its input, and is lowered the same way
    (rows as blocks instead of element-wise loops).

    ```mlir
    // before
    memref.copy %past, %sv : memref<1x12x4095x64xf32>
        to memref<1x12x4095x64xf32, strided<[3145728, 262144, 64, 1]>>
    // after
    scf.for %h = %c0 to %c12 step %c1 {
      %a = memref.subview %past[0, %h, 0, 0] [1, 1, 4095, 64] [1, 1, 1, 1] : ...
      %b = memref.subview %sv[0, %h, 0, 0] [1, 1, 4095, 64] [1, 1, 1, 1] : ...
      memref.copy %a, %b : ...
    }
    ```
  }];
  let options = [
    Option<"kernelCalls", "kernel-calls", "bool", /*default=*/"false",
           "Call the kernel library's parallel copy for large f32 copies">,
    Option<"minCallBytes", "min-call-bytes", "int64_t", /*default=*/"1 << 20",
           "Smallest copy (bytes) that calls the kernel library">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::linalg::LinalgDialect"];
}

def FuseElementwisePass
    : Pass<"attn-fuse-elementwise", "::mlir::ModuleOp"> {
  let summary = "Fuse chains of element-wise linalg.generic ops into one loop nest";
  let description = [{
    Runs on tensors after `convert-onnx-to-linalg`, which emits one
    `linalg.generic` per ONNX node (a GELU: eight passes over the
    activations). An element-wise producer with no other user is fused into
    its consumer when the consumer's iterators are all parallel (linalg's
    producer-consumer fusion), so that each chain reads its inputs and
    writes its result once. Reductions and contractions are never fused
    into: they keep the form `convert-linalg-to-cpu-kernels` recognizes.

    ```mlir
    // before
    %a = linalg.generic {... ["parallel", "parallel"]} ins(%x, %y) ... { addf }
    %b = linalg.generic {... ["parallel", "parallel"]} ins(%a) ... { math.tanh }
    // after
    %b = linalg.generic {... ["parallel", "parallel"]} ins(%x, %y) ... {
      addf, then math.tanh }
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def ApproximateMathPass
    : Pass<"attn-approximate-math", "::mlir::ModuleOp"> {
  let summary = "Rewrite f32 math functions into vectorizable polynomial approximations";
  let description = [{
    `convert-math-to-libm` lowers `math.tanh`, `math.erf`, `math.exp`, ...
    to calls of libm's scalar functions, which keep LLVM from vectorizing
    the loop around them. This pass rewrites the selected ops (`ops`, a
    comma-separated subset of tanh, erf, exp, expm1, log, log1p, log2) on
    f32 scalars and vectors into MLIR's polynomial approximations: `arith`
    operations and bit manipulation only, accurate to a few ulp. f16 and
    bf16 operands are computed in f32. The CPU pipeline runs it on the
    element-wise loops after bufferization.

    ```mlir
    // before
    %t = math.tanh %x : f32
    // after (abridged): clamp, a rational polynomial, a select for tiny |x|
    %c = arith.maximumf %x, %cst_lo : f32
    ...
    %t = arith.select %small, %x, %q : f32
    ```
  }];
  let options = [
    Option<"ops", "ops", "std::string",
           /*default=*/"\"tanh,erf,exp,expm1,log,log1p,log2\"",
           "Math functions to approximate (comma separated)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

#endif // ATTUNE_CONVERSION_PASSES_TD
