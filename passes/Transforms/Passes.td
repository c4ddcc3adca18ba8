//===- Passes.td - attune IR-to-IR transforms --------------*- tablegen -*-===//

#ifndef ATTUNE_TRANSFORMS_PASSES_TD
#define ATTUNE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def OnnxInferShapesPass : Pass<"onnx-infer-shapes", "::mlir::ModuleOp"> {
  let summary = "Infer static shapes of onnx.node results and fold constant subgraphs";
  let description = [{
    Walks every function in program order. A node whose inputs are all
    constants and whose result is small (shape computations:
    Shape/Gather/Concat/Unsqueeze/Slice/Cast/Range/..., constant masks from
    Trilu, ...) is evaluated and replaced by an `arith.constant`; every other
    node gets its result types inferred from its inputs. After this pass every
    value in the graph has a static ranked type, or the pass fails with an
    error naming the node.

    ```mlir
    // before
    %s = onnx.node "Shape" v15 (%x) : (tensor<1x16x64xf32>) -> tensor<*xi64>
    %r = onnx.node "Reshape" v14 (%x, %s) : (tensor<1x16x64xf32>, tensor<*xi64>) -> tensor<*xf32>
    // after
    %s = arith.constant dense<[1, 16, 64]> : tensor<3xi64>
    %r = onnx.node "Reshape" v14 (%x, %s) : (tensor<1x16x64xf32>, tensor<3xi64>) -> tensor<1x16x64xf32>
    ```
  }];
  let options = [
    Option<"maxFoldElements", "max-fold-elements", "int64_t", "1 << 22",
           "Largest result (in elements) a constant subgraph is folded into">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def AttnRaisePass : Pass<"attn-raise", "::mlir::ModuleOp"> {
  let summary = "Raise ONNX attention (decomposed subgraphs and fused ops) to attn ops";
  let description = [{
    Finds `MatMul(Q, K^T) -> scale -> mask -> Softmax(-1) -> MatMul(., V)`
    subgraphs in every form exporters produce (see the README for the list),
    and the fused ONNX `Attention` (opset 23/24) and com.microsoft
    `Attention`, `MultiHeadAttention` and `GroupQueryAttention` nodes, and
    replaces each with `attn.sdpa` plus the reshapes/transposes/concats that
    connect it to the rest of the graph.

    ```mlir
    // before
    %kt = onnx.node "Transpose" v13 (%k) {perm = [0, 1, 3, 2]} : ...
    %s  = onnx.node "MatMul" v13 (%q, %kt) : ...
    %ss = onnx.node "Div" v13 (%s, %c8) : ...
    %p  = onnx.node "Softmax" v13 (%ss) {axis = -1 : i64} : ...
    %o  = onnx.node "MatMul" v13 (%p, %v) : ...
    // after
    %o = attn.sdpa %q, %k, %v {scale = 1.250000e-01 : f64} : ...
    ```

    With `report`, each raised site is described by a remark (layout, heads,
    scale, mask kind); `attune-opt --attn-raise-report` prints them as a table.
  }];
  let options = [
    Option<"fusedOnly", "fused-only", "bool", "false",
           "Only convert fused attention nodes; leave decomposed subgraphs alone">,
    Option<"report", "report", "bool", "false",
           "Emit a remark describing every raised attention site">,
  ];
  let dependentDialects = ["::mlir::attn::AttnDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::attn::onnx::OnnxDialect"];
}

def AttnSparsifyPass : Pass<"attn-sparsify", "::mlir::ModuleOp"> {
  let summary = "Rewrite attention sites into sparse attention (window, "
                "neighborhood, head-wise, static and dynamic block-sparse)";
  let description = [{
    Rewrites the selected `attn.sdpa` sites (`layers`, in `attn.site` order)
    into one sparse form, on the selected query heads (`heads`; the others
    are listed in the op's `dense_heads`). Every parameter of METHODS.md is an
    option; options that default to -1 take the published default of the
    chosen pattern/method (listed per option).

    - `window` (StreamingLLM): `#attn.window<sinks, left = window-1,
      right = 0>` on causal sites, `left = right = window/2` (|i - j| <=
      window/2) on the others (`causal-form` overrides).
    - `neighborhood` (NATTEN): `kernel`, `dilation`, border clamping;
      `left = right = kernel/2` (causal sites: `left = kernel-1, right = 0`).
    - `headwise` (DuoAttention / RazorAttention): `retrieval-heads` stay
      dense, the others keep `sinks` + `recent`; `compensation` adds
      RazorAttention's compensation token.
    - `block-static`: a constant `block_mask` of `block-size` blocks from a
      layout file (`layout`) or a built-in `layout-kind`: `local-strided`
      (the `local-blocks` nearest the diagonal plus every `stride`-th key
      block column, as Phi-3-small) or `local`. The layout file is ONNX
      Runtime SparseAttention's CSR form, as JSON:
      `{"block_size": 64, "block_row_indices": [[0, 1, 3, ...], ...],
        "block_col_indices": [[0, 0, 1, ...], ...]}` with one row-pointer
      list (R+1 entries) and one column list per layout; row r keeps key
      blocks `col[row[r]] .. col[row[r+1]-1]` (trailing -1 padding allowed),
      the grid is R x R over absolute block positions (a larger grid serves
      shorter sequences), query head h uses layout h % (number of layouts),
      and `block_size`, when given, must equal `block-size`.
    - `dynamic`: an `attn.block_select` (`method` = moba | sla | sale) feeds
      the sdpa's `block_mask`.

    ```mlir
    // attn-sparsify{pattern=window window=256 sinks=4}, on a causal site:
    %o = attn.sdpa %q, %k, %v {causal = #attn.causal<top_left>,
           window = #attn.window<sinks = 4, left = 255, right = 0>} : ...
    // attn-sparsify{pattern=dynamic method=moba block-q=64 block-k=64 topk=4}
    %m = attn.block_select %q, %k {method = #attn.select<moba>, block_q = 64,
           block_k = 64, topk = 4, sink_blocks = 0, local_blocks = 1, ...} : ...
    %o = attn.sdpa %q, %k, %v block_mask(%m : tensor<1x8x8x8xi1>)
           {block_size = array<i64: 64, 64>, ...} : ...
    ```
  }];
  let options = [
    Option<"pattern", "pattern", "std::string", "\"window\"",
           "window | neighborhood | headwise | block-static | dynamic">,
    Option<"layers", "layers", "std::string", "\"\"",
           "Attention sites to rewrite, e.g. '2-11' (default: all)">,
    Option<"heads", "heads", "std::string", "\"\"",
           "Query heads made sparse, e.g. '0-3,7' (default: all; the others "
           "stay dense)">,
    Option<"window", "window", "int64_t", "512",
           "window: keys each query sees besides the sinks">,
    Option<"sinks", "sinks", "int64_t", "-1",
           "Attention sinks (first keys always kept); default 4 (window), "
           "64 (headwise, DuoAttention), 0 (neighborhood)">,
    Option<"causalForm", "causal-form", "std::string", "\"auto\"",
           "auto | causal | bidirectional: window shape (auto: from the "
           "site's causal attribute)">,
    Option<"kernel", "kernel", "int64_t", "7",
           "neighborhood: keys per query (odd unless causal)">,
    Option<"dilation", "dilation", "int64_t", "1",
           "neighborhood: dilation">,
    Option<"retrievalHeads", "retrieval-heads", "std::string", "\"\"",
           "headwise: heads that keep full attention, e.g. '0,5'">,
    Option<"recent", "recent", "int64_t", "256",
           "headwise: recent window of streaming heads">,
    Option<"compensation", "compensation", "bool", "false",
           "headwise/window: add RazorAttention's compensation token">,
    Option<"blockSize", "block-size", "int64_t", "64",
           "block-static: block size (queries and keys)">,
    Option<"layout", "layout", "std::string", "\"\"",
           "block-static: JSON layout file (per-head CSR block lists)">,
    Option<"layoutKind", "layout-kind", "std::string", "\"local-strided\"",
           "block-static without a file: local-strided | local">,
    Option<"stride", "stride", "int64_t", "8",
           "block-static local-strided: every stride-th key block is kept">,
    Option<"method", "method", "std::string", "\"sale\"",
           "dynamic: moba | sla | sale">,
    Option<"blockQ", "block-q", "int64_t", "-1",
           "dynamic: query block; default 1 (moba: per-query gate), 64 "
           "(sla, sale)">,
    Option<"blockK", "block-k", "int64_t", "-1",
           "dynamic: key block; default 4096 (moba), 64 (sla), 32 (sale)">,
    Option<"topk", "topk", "int64_t", "-1",
           "dynamic moba: kept blocks per query block (default 12)">,
    Option<"topkRatio", "topk-ratio", "double", "-1.0",
           "dynamic sla: kept fraction of key blocks (default 0.2)">,
    Option<"tau", "tau", "double", "0.004",
           "dynamic sale: relative score threshold">,
    Option<"sinkBlocks", "sink-blocks", "int64_t", "-1",
           "dynamic: first key blocks always kept; default 0 (moba, sla), "
           "1 (sale)">,
    Option<"localBlocks", "local-blocks", "int64_t", "-1",
           "Key blocks ending at the diagonal always kept; default 1 (moba), "
           "0 (sla), ceil(128/block-k) (sale), 16 (block-static)">,
    Option<"minQLen", "min-q-len", "int64_t", "-1",
           "dynamic: sites with Lq <= this stay dense; default 1024 (sale), "
           "0 (moba, sla)">,
  ];
  let dependentDialects = ["::mlir::attn::AttnDialect",
                           "::mlir::arith::ArithDialect"];
}

def AttnLinearizePass : Pass<"attn-linearize", "::mlir::ModuleOp"> {
  let summary = "Rewrite attention sites into linear attention (kernelized, "
                "MALA, Lightning, agent, sparse + linear hybrid)";
  let description = [{
    Replaces the selected `attn.sdpa` sites (`layers`, in `attn.site` order)
    by a linear form, on the selected query heads (`heads`): Q/K/V are
    sliced along the head axis, the selected heads go through the linear op,
    the others through an `attn.sdpa` with the site's original attributes,
    and the results are reassembled in head order (for `hybrid` the other
    heads are the sdpa's `dense_heads` instead). `feature`:

    - `elu1`, `relu`: `attn.linear` kernelized with that feature map;
    - `mala`: `attn.linear` MALA (`scale` s, default the site's scale);
    - `lightning`: `attn.linear` Lightning (`chunk`, `decay`: one value or
      one per query head of the site, `scale` on q.k, default 1); causal
      sites only;
    - `agent`: `attn.agent` with `agents` pooled agent tokens; non-causal
      sites only;
    - `hybrid` (SLA): `attn.block_select{method = sla}` (`block-size`,
      `topk-ratio`) feeds the sdpa's `block_mask` and the `exclude` map of a
      kernelized `attn.linear` (feature map `kernel`), and the two are
      added.

    Causal sites keep their causality (the linear forms are causal,
    bottom-right aligned, so a top-left site needs Lq = Lk). Linear forms
    cannot express arbitrary masks or a softcap: a site with a mask or a
    softcap is an error unless `ignore-mask` (the linear term then ignores
    them; for `hybrid` the sparse softmax term still applies them).

    ```mlir
    // attn-linearize{feature=lightning chunk=64 decay=0.1}
    %o = attn.sdpa %q, %k, %v {causal = #attn.causal<top_left>} : ...
    // becomes
    %o = attn.linear %q, %k, %v {causal, chunk = 64 : i64,
           decay = array<f64: 1.000000e-01>, variant = #attn.linear<lightning>}
    ```
  }];
  let options = [
    Option<"feature", "feature", "std::string", "\"elu1\"",
           "elu1 | relu | mala | lightning | agent | hybrid">,
    Option<"layers", "layers", "std::string", "\"\"",
           "Attention sites to rewrite, e.g. '2-11' (default: all)">,
    Option<"heads", "heads", "std::string", "\"\"",
           "Query heads made linear, e.g. '0-3,7' (default: all; the others "
           "keep softmax attention)">,
    Option<"chunk", "chunk", "int64_t", "64",
           "Chunk of the causal (Lightning-style) block form">,
    ListOption<"decay", "decay", "double",
               "lightning: per-head decay s, one value or one per query head "
               "(default none)">,
    Option<"scale", "scale", "double", "0.0",
           "mala: s (default: the site's scale); lightning: q.k scale "
           "(default 1); agent: softmax scale (default: the site's); 0 = "
           "default">,
    Option<"agents", "agents", "int64_t", "49",
           "agent: number of pooled agent tokens">,
    Option<"blockSize", "block-size", "int64_t", "64",
           "hybrid: SLA block size (queries and keys)">,
    Option<"topkRatio", "topk-ratio", "double", "0.2",
           "hybrid: fraction of key blocks computed exactly">,
    Option<"kernel", "kernel", "std::string", "\"elu1\"",
           "hybrid: feature map of the linear term (elu1 | relu)">,
    Option<"ignoreMask", "ignore-mask", "bool", "false",
           "Linearize sites with a mask or softcap, dropping them from the "
           "linear term">,
  ];
  let dependentDialects = ["::mlir::attn::AttnDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def AttnCalibratePass : Pass<"attn-calibrate", "::mlir::ModuleOp"> {
  let summary = "Calibrate attention with a score modifier (ZeroTuning, ACT)";
  let description = [{
    Sets `score_mod` on the selected `attn.sdpa` sites (`layers`, in
    `attn.site` order) and `score_mod_heads` to the selected query heads
    (`heads`; omitted when all heads are selected). Both methods are
    training-free and are score modifications a fused kernel applies (see
    `#attn.zero_tuning` and `#attn.act`):

    - `zerotuning` (ZeroTuning): the attention each query pays to the first
      key is scaled by `gamma` and the row renormalized, i.e. `ln(gamma)` is
      added to score column 0. `gamma = 1` is the identity.
    - `act` (ACT): with `c_j` the mean attention key `j` receives from the
      queries that see it, the keys `j > 0` with `c_j > tau` are sinks; their
      probabilities are multiplied by `beta` and the removed mass is given
      to the other keys of the row in proportion to their attention.

    A site that already has a score modifier gets the new one when the new
    heads cover the old ones, the union of heads when the modifier is the
    same, and an error otherwise. ACT cannot be combined with a
    compensation token (headwise RazorAttention).

    ```mlir
    // attn-calibrate{method=zerotuning gamma=1.5 heads=0-1}
    %o = attn.sdpa %q, %k, %v {causal = #attn.causal<top_left>} : ...
    // becomes
    %o = attn.sdpa %q, %k, %v {causal = #attn.causal<top_left>,
           score_mod = #attn.zero_tuning<gamma = 1.500000e+00 : f64>,
           score_mod_heads = array<i64: 0, 1>} : ...
    // attn-calibrate{method=act beta=0.4 tau=0.1 layers=2-11}
           score_mod = #attn.act<beta = 4.000000e-01 : f64, tau = 1.000000e-01 : f64>
    ```
  }];
  let options = [
    Option<"method", "method", "std::string", "\"zerotuning\"",
           "zerotuning | act">,
    Option<"layers", "layers", "std::string", "\"\"",
           "Attention sites to calibrate, e.g. '2-11' (default: all)">,
    Option<"heads", "heads", "std::string", "\"\"",
           "Query heads to calibrate, e.g. '0-3,7' (default: all)">,
    Option<"gamma", "gamma", "double", "1.5",
           "zerotuning: factor on the attention to the first key (> 0; "
           "tuned per task, 0.3-4 in the paper; 1 = identity)">,
    Option<"beta", "beta", "double", "0.4",
           "act: factor on the sink columns (0 <= beta <= 1)">,
    Option<"tau", "tau", "double", "0.1",
           "act: a key j > 0 is a sink when its mean received attention "
           "exceeds tau">,
  ];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

def AttnApplyPolicyPass : Pass<"attn-apply-policy", "::mlir::ModuleOp"> {
  let summary = "Apply a per-layer / per-head rewrite policy file";
  let description = [{
    Reads a JSON policy (`file`): a list of rules (or `{"rules": [...]}`),
    applied in order, each a `method` with optional `layers` and `heads`
    (strings like "2-11" / "0-2,4", a number, or a list of numbers) and the
    options of the pass that implements the method:

    | method | pass |
    |---|---|
    | `dense` | (this pass) exempts the heads, or undoes sparsity and score modifiers of whole sites |
    | `window`, `neighborhood`, `headwise`, `block-static`, `dynamic` | `attn-sparsify{pattern=METHOD}` (`select` = its `method`) |
    | `moba`, `sla`, `sale` | `attn-sparsify{pattern=dynamic method=METHOD}` |
    | `elu1`, `relu`, `mala`, `lightning`, `agent`, `hybrid` | `attn-linearize{feature=METHOD}` |
    | `zerotuning`, `act` | `attn-calibrate{method=METHOD}` |
    | `recycle` | `attn-recycle` |

    Every other key is passed as `key=value` to that pass (numbers, booleans,
    strings, lists of numbers); `comment` is ignored. A rule acts on the module left by the rules
    before it: `dense` with `heads` adds those heads to the `dense_heads` of
    sites with structured sparsity and removes them from `score_mod_heads`;
    `dense` without `heads` removes window, block map, compensation and score
    modifier of the sites; linear/agent/recycled sites cannot be made dense
    again. Errors (unknown method or key, a bad value, a layer or head out of
    range, a failing rewrite) name the file and the rule index.

    ```json
    [
      {"layers": "0-1", "method": "dense"},
      {"layers": "2-11", "method": "window", "window": 256, "sinks": 4},
      {"heads": [3, 7], "method": "dense"}
    ]
    ```
    ```mlir
    // attn-apply-policy{file=policy.json}, on site 2 (12 heads, causal):
    %o = attn.sdpa %q, %k, %v {attn.site = 2 : i64, causal = #attn.causal<top_left>,
           dense_heads = array<i64: 3, 7>,
           window = #attn.window<sinks = 4, left = 255, right = 0>} : ...
    ```
  }];
  let options = [
    Option<"file", "file", "std::string", "\"\"",
           "Policy file (JSON)">,
  ];
  let dependentDialects = ["::mlir::attn::AttnDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def AttnTilePass : Pass<"attn-tile", "::mlir::ModuleOp"> {
  let summary = "Choose the kernel tiles of every attention op for a target";
  let description = [{
    The fused kernels (CPU now, CUDA later) execute one tiled form of
    `attn.sdpa` / `attn.recycle`: one program per (batch, key/value head,
    query tile) that walks the key tiles, skips the tiles that causality,
    the window or the block map drop entirely, masks only the tiles a rule
    cuts, and keeps an online softmax (running max, running sum, rescaled
    accumulator) so that no Lq x Lk matrix exists. The op's semantics fix
    everything about that form except the tile shape, which is the target's
    choice: this pass records it as `attn.tiling = array<i64: tile_q,
    tile_k>` (ops that already have one keep it), and the target's
    conversion (`convert-attn-to-cpu-kernels`, later a CUDA emitter)
    consumes it. docs/kernels.md describes the tiled form.

    Target defaults: `cpu` 64 x 256 (a query tile's K^T panel and P tile
    stay in L2, 6 x 64 register blocks; the softmax bookkeeping per row and
    key tile is spread over 256 keys), `cuda` 128 x 64 (one thread block
    per query tile, K/V tiles in shared memory). Ops whose key tiles are
    skipped, cut or scored again take the narrower sparse key tile (`cpu`
    128, `cuda` 64): an `attn.sdpa` with a block map gets tiles that match
    its blocks (when they are of a usable size), so that each tile is kept
    or skipped whole; a sliding window of `w` keys (no dense heads, no
    dilation) gets query tiles of `w / 8` rows (16 up to the target's),
    because a query tile walks the union of its rows' windows,
    `tile_q + w - 1` keys; other windows and ACT keep the target's query
    tile. `tile-k` sets both key tiles.

    ```mlir
    // attn-tile{target=cpu}
    %o = attn.sdpa %q, %k, %v {attn.tiling = array<i64: 64, 256>} : ...
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"cpu\"",
           "cpu | cuda">,
    Option<"tileQ", "tile-q", "int64_t", /*default=*/"0",
           "Query rows per tile (0: the target's default)">,
    Option<"tileK", "tile-k", "int64_t", /*default=*/"0",
           "Keys per tile (0: the target's default)">,
  ];
}

def AttnExposeSitesPass : Pass<"attn-expose-sites", "::mlir::ModuleOp"> {
  let summary = "Return every attention site's output (and statistics) from @main";
  let description = [{
    Appends results to `func.func @main`, for every attention site in
    `attn.site` order (N = the site index):

    - with `outputs`: the site's output `[B, Hq, Lq, Dv]`, named
      `site<N>.out` (`onnx.name` result attribute); for a site split over
      several ops (linear heads + softmax heads, hybrid) the tensor that
      combines them;
    - with `stats`: `site<N>.density` (`tensor<1xf32>`: the fraction of the
      visible score entries, after mask and causal rule, that the window /
      block map / dense heads keep; 1 for unmodified sites, 0 for linear and
      agent attention, which compute no score matrix) and `site<N>.recall`
      (`tensor<1xf32>`: the attention mass of the kept keys under the dense
      attention, i.e. the same sdpa without its rewrites, averaged over the
      rows that see at least one key; NaN for linear and agent attention);
    - with `probs`: `site<N>.probs`, the dense attention probabilities
      `[B, Hq, Lq, Lk]` (f32) of sdpa sites.

    `attune eval` and `attune probe-heads` use it; it is a plain pass so the
    exposed graph can be inspected with `attune-opt` or run with
    `attune run --rewrite`.

    ```mlir
    // attn-expose-sites{stats=true}
    func.func @main(%q: ...) -> (tensor<1x4x16x8xf32> {onnx.name = "Y"}) {
      %o = attn.sdpa %q, %k, %v {attn.site = 0 : i64,
             window = #attn.window<sinks = 1, left = 3, right = 0>} : ...
      return %o : tensor<1x4x16x8xf32>
    }
    // becomes
    func.func @main(%q: ...) -> (tensor<1x4x16x8xf32> {onnx.name = "Y"},
        tensor<1x4x16x8xf32> {onnx.name = "site0.out"},
        tensor<1xf32> {onnx.name = "site0.density"},
        tensor<1xf32> {onnx.name = "site0.recall"})
    ```
  }];
  let options = [
    Option<"outputs", "outputs", "bool", "true",
           "Return each site's output (site<N>.out)">,
    Option<"stats", "stats", "bool", "true",
           "Return density and recall of each site">,
    Option<"probs", "probs", "bool", "false",
           "Return the dense attention probabilities of each sdpa site">,
  ];
  let dependentDialects = ["::mlir::attn::AttnDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

def AttnRecyclePass : Pass<"attn-recycle", "::mlir::ModuleOp"> {
  let summary = "Recycled Attention (RefreshKV) on the attention sites of a "
                "decode step with a KV cache";
  let description = [{
    Rewrites each selected `attn.sdpa` of a decode-step graph (key and value
    are `Concat(past, new)` along the sequence axis, the past a graph input)
    into `attn.recycle`: full steps run dense attention and keep the top-K
    key positions of the last query row (max-pooled over `pool` neighbours,
    maxed over each GQA group); partial steps attend only to those plus the
    tokens appended since. The schedule is `fixed` (a full step every
    `stride` steps) or `similarity` (every `check-every` steps, refresh when
    the cosine of the head-mean query with the one of the last full step is
    below `threshold`).

    The state becomes explicit inputs and outputs of `@main`, four per site
    N, appended after the existing ones in site order:
    `recycle.kept_indices.siteN` `[B, Hkv, K]` i64,
    `recycle.full_len.siteN` `[B]` i64, `recycle.step.siteN` `[B]` i64 and
    `recycle.ref_query.siteN` `[B, D]`. The caller feeds each output back as
    the next step's input; all zeros is "no state" (step 0 forces a full
    step). K is `topk`, or `topk-ratio` times the context length N: the
    module attribute `attn.decode_context` (set by `attune decode` to the
    longest cache of the run, so that K is the same at every step) or else
    the site's key length. Positions beyond the cache are -1.

    ```mlir
    // attn-recycle{stride=4 topk=8}
    %k = onnx.node "Concat" v17 (%past_key, %k_new) {axis = 2 : i64} : ...
    %o = attn.sdpa %q, %k, %v {attn.site = 0 : i64, causal = #attn.causal<bottom_right>} : ...
    // becomes (with new @main arguments %ki, %fl, %st, %rq and results)
    %o, %ki2, %fl2, %st2, %rq2 = attn.recycle %q, %k, %v
        state(%ki, %fl, %st, %rq : tensor<1x4x8xi64>, tensor<1xi64>,
              tensor<1xi64>, tensor<1x12xf32>)
        {attn.site = 0 : i64, causal = #attn.causal<bottom_right>,
         schedule = #attn.schedule<fixed>, stride = 4 : i64, ...} : ...
    ```
  }];
  let options = [
    Option<"schedule", "schedule", "std::string", "\"fixed\"",
           "fixed | similarity">,
    Option<"stride", "stride", "int64_t", "10",
           "fixed: a full step every stride steps (1 = always dense)">,
    Option<"checkEvery", "check-every", "int64_t", "5",
           "similarity: compare queries every check-every steps">,
    Option<"threshold", "threshold", "double", "0.85",
           "similarity: refresh when the query cosine is below this">,
    Option<"topk", "topk", "int64_t", "0",
           "Kept key positions K (0: topk-ratio times the context length)">,
    Option<"topkRatio", "topk-ratio", "double", "0.125",
           "K as a fraction of the context length when topk is 0">,
    Option<"pool", "pool", "int64_t", "5",
           "Max-pooling kernel over neighbouring key positions (1 = none)">,
    Option<"layers", "layers", "std::string", "\"\"",
           "Attention sites to rewrite, e.g. '2-11' (default: all)">,
    Option<"heads", "heads", "std::string", "\"\"",
           "Query heads that recycle, e.g. '0-3' (default: all; the others "
           "stay dense)">,
  ];
  let dependentDialects = ["::mlir::attn::AttnDialect",
                           "::mlir::func::FuncDialect"];
}

#endif // ATTUNE_TRANSFORMS_PASSES_TD
