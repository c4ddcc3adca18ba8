//===- Sdpa.cpp - fused attention: entry points and ISA dispatch ----------===//
//
// attune_sdpa_f32 picks the decode kernel (few query rows per key/value head,
// or a key subset) or the tiled prefill kernel, and the AVX-512 build of it
// when the CPU has AVX-512F. _mlir_ciface_attune_sdpa_f32 is the form
// generated code calls: memref descriptors plus the parameter arrays laid out
// in CpuKernels.h.
//
//===----------------------------------------------------------------------===//

#include "attune/Runtime/CpuKernels.h"
#include "lib/Runtime/Cpu/Kernels/Isa.h"
#include "lib/Runtime/Cpu/Kernels/MemRef.h"
#include "lib/Runtime/Cpu/Kernels/SdpaKernels.h"
#include "lib/Runtime/Cpu/Kernels/ThreadPool.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

using namespace attune::cpu;

extern "C" void *_mlir_memref_to_llvm_alloc(size_t n);
extern "C" void _mlir_memref_to_llvm_free(void *p);

namespace {
/// `n` floats from the kernel library's buffer cache (BufferCache.cpp).
struct CachedBuffer {
  float *p;
  explicit CachedBuffer(int64_t n)
      : p(static_cast<float *>(_mlir_memref_to_llvm_alloc(
            static_cast<size_t>(std::max<int64_t>(n, 1)) * sizeof(float)))) {
    if (!p) {
      std::fprintf(stderr, "attune: out of memory in attune_sdpa_f32\n");
      std::abort();
    }
  }
  ~CachedBuffer() { _mlir_memref_to_llvm_free(p); }
  CachedBuffer(const CachedBuffer &) = delete;
  CachedBuffer &operator=(const CachedBuffer &) = delete;
};
} // namespace

/// attune_sdpa_f32 without its profile scope: the widened and joined
/// forms of a call run through here, so that a call's time counts once.
static void sdpa(const attune_sdpa_args *args) {
  const attune_sdpa_args &a = *args;
  if (a.batch <= 0 || a.heads_q <= 0 || a.len_q <= 0 || a.dim_v <= 0)
    return;
  SdpaProblem P(a);
  // ACT needs column statistics over every row of a head: the prefill
  // kernel keeps a head's rows in one work item.
  bool decode = a.kv_index != nullptr || a.v_stride[3] != 1 ||
                (!a.has_act && a.len_q * P.group <= 8);
  if (a.row_scores && !decode) {
    std::fprintf(stderr, "attune: row scores come from the decode kernel "
                         "only (a key subset or few query rows) in "
                         "attune_sdpa_f32\n");
    std::abort();
  }
  if (a.has_compensation &&
      (!a.has_window || a.window_dilation > 1 || a.block_mask ||
       a.mask_kind == ATTUNE_MASK_BOOL || a.has_act)) {
    std::fprintf(stderr, "attune: the compensation token needs a window "
                         "without dilation, no block mask, no boolean mask "
                         "and no ACT in attune_sdpa_f32\n");
    std::abort();
  }
  if (decode && a.has_act) {
    std::fprintf(stderr, "attune: ACT needs unit-stride values and no key "
                         "subset in attune_sdpa_f32\n");
    std::abort();
  }
  if (a.kv_type != ATTUNE_SDPA_KV_F32 && a.kv_type != ATTUNE_SDPA_KV_F16 &&
      a.kv_type != ATTUNE_SDPA_KV_BF16) {
    std::fprintf(stderr, "attune: unknown kv_type %d in attune_sdpa_f32\n",
                 static_cast<int>(a.kv_type));
    std::abort();
  }
  // The decode kernel reads K and V as they come: two pieces (an exported
  // decoder's Concat(past, new)) and 16-bit elements. The tiled kernel walks
  // contiguous f32 key ranges, and the compensation token's sums read f32
  // rows: they get one dense f32 copy of each (pieces joined, 16-bit
  // elements widened; lowerings pass two pieces only where the decode
  // kernel runs).
  const bool sixteen = a.kv_type != ATTUNE_SDPA_KV_F32;
  if ((sixteen && (!decode || a.has_compensation)) || (a.k_tail && !decode)) {
    attune_sdpa_args dense = a;
    const int64_t rows = a.batch * a.heads_kv * a.len_k;
    // From the allocator generated code uses, which keeps large blocks
    // across calls (fresh pages would fault in on every call).
    CachedBuffer k(rows * a.dim), v(rows * a.dim_v);
    if (hasAvx512()) {
      avx512::denseKV(a, false, a.dim, k.p);
      avx512::denseKV(a, true, a.dim_v, v.p);
    } else {
      generic::denseKV(a, false, a.dim, k.p);
      generic::denseKV(a, true, a.dim_v, v.p);
    }
    dense.kv_type = ATTUNE_SDPA_KV_F32;
    dense.k = k.p;
    dense.v = v.p;
    dense.k_tail = dense.v_tail = nullptr;
    dense.kv_split = 0;
    const int64_t ks[4] = {a.heads_kv * a.len_k * a.dim, a.len_k * a.dim,
                           a.dim, 1};
    const int64_t vs[4] = {a.heads_kv * a.len_k * a.dim_v, a.len_k * a.dim_v,
                           a.dim_v, 1};
    for (int d = 0; d < 4; ++d) {
      dense.k_stride[d] = ks[d];
      dense.v_stride[d] = vs[d];
    }
    sdpa(&dense);
    return;
  }
  // Requested tiles larger than the problem are the problem's size: the
  // scratch buffers are sized by the tiles.
  int64_t tileQ =
      a.tile_q > 0 ? std::min(a.tile_q, std::max<int64_t>(a.len_q, 1)) : 64;
  // Key tiles start on 16-key blocks of the packed K^T. The defaults are
  // attn-tile's for dense heads on the CPU.
  int64_t tileK =
      a.tile_k > 0
          ? (std::min(a.tile_k, std::max<int64_t>(a.len_k, 1)) + 15) / 16 * 16
          : 256;
  // A block map with narrower key blocks than the key tile (SLA 64, SALE
  // 32): key tiles of one block, so that a tile is skipped or computed
  // whole instead of computed and then partly masked.
  if (a.tile_k <= 0 && a.block_mask && a.block_k % 16 == 0 &&
      a.block_k >= 32 && a.block_k < tileK)
    tileK = a.block_k;
  if (hasAvx512()) {
    if (decode)
      avx512::sdpaDecode(P);
    else
      avx512::sdpaPrefill(P, tileQ, tileK);
  } else {
    if (decode)
      generic::sdpaDecode(P);
    else
      generic::sdpaPrefill(P, tileQ, tileK);
  }
}

extern "C" void attune_sdpa_f32(const attune_sdpa_args *args) {
  ProfileScope profile(ATTUNE_KERNEL_SDPA);
  sdpa(args);
}

namespace {
/// Strides of a rank-4 memref broadcast to `target` (0 on size-1 dims).
void broadcastStrides(const MemRef<void, 4> &m, const int64_t target[4],
                      int64_t out[4]) {
  for (int d = 0; d < 4; ++d)
    out[d] = (m.sizes[d] == 1 && target[d] != 1) ? 0 : m.strides[d];
}
template <typename T> const MemRef<void, 4> &erase(const MemRef<T, 4> &m) {
  return reinterpret_cast<const MemRef<void, 4> &>(m);
}
} // namespace

namespace {
/// The body of the _mlir_ciface_attune_sdpa_f32* entries: K, V and their
/// tail pieces are memrefs of KV (float, or uint16_t for kv_type F16 /
/// BF16).
template <typename KV>
void sdpaFromMemRefs(int32_t kvType, MemRef<float, 4> *q, MemRef<KV, 4> *k,
                     MemRef<KV, 4> *v, MemRef<float, 4> *o,
                     MemRef<float, 4> *maskAdd, MemRef<uint8_t, 4> *maskBool,
                     MemRef<uint8_t, 4> *blockMask, MemRef<int64_t, 3> *kvIndex,
                     MemRef<int64_t, 1> *tailStart, MemRef<KV, 4> *kTail,
                     MemRef<KV, 4> *vTail, MemRef<float, 4> *rowScores,
                     MemRef<int64_t, 1> *iparams, MemRef<double, 1> *fparams) {
  const int64_t *ip = iparams->data();
  const double *fp = fparams->data();
  checkAbiVersion("sdpa", ip[ATTUNE_SDPA_I_VERSION], ATTUNE_SDPA_ABI_VERSION);
  attune_sdpa_args a = {};
  // Sizes and strides do not depend on the element type; the data pointers
  // (aligned pointer plus offset) do.
  readAttentionOperands(a, q, reinterpret_cast<MemRef<float, 4> *>(k),
                        reinterpret_cast<MemRef<float, 4> *>(v), o);
  a.k = reinterpret_cast<const float *>(k->data());
  a.v = reinterpret_cast<const float *>(v->data());
  a.kv_type = kvType;
  // Two pieces: K and V are the first, len_k counts both.
  if (ip[ATTUNE_SDPA_I_KV_SPLIT] > 0) {
    a.kv_split = ip[ATTUNE_SDPA_I_KV_SPLIT];
    a.len_k = a.kv_split + kTail->sizes[2];
    a.k_tail = reinterpret_cast<const float *>(kTail->data());
    a.v_tail = reinterpret_cast<const float *>(vTail->data());
    for (int d = 0; d < 4; ++d) {
      a.k_tail_stride[d] = kTail->strides[d];
      a.v_tail_stride[d] = vTail->strides[d];
    }
  }
  const int64_t target[4] = {a.batch, a.heads_q, a.len_q, a.len_k};
  a.mask_kind = static_cast<int32_t>(ip[ATTUNE_SDPA_I_MASK_KIND]);
  if (a.mask_kind == ATTUNE_MASK_ADD) {
    a.mask = maskAdd->data();
    broadcastStrides(erase(*maskAdd), target, a.mask_stride);
  } else if (a.mask_kind == ATTUNE_MASK_BOOL) {
    a.mask = maskBool->data();
    broadcastStrides(erase(*maskBool), target, a.mask_stride);
  }
  if (ip[ATTUNE_SDPA_I_HAS_BLOCK_MASK]) {
    a.block_mask = blockMask->data();
    a.block_q = ip[ATTUNE_SDPA_I_BLOCK_Q];
    a.block_k = ip[ATTUNE_SDPA_I_BLOCK_K];
    const int64_t blocks[4] = {a.batch, a.heads_q,
                               (a.len_q + a.block_q - 1) / a.block_q,
                               (a.len_k + a.block_k - 1) / a.block_k};
    broadcastStrides(erase(*blockMask), blocks, a.block_mask_stride);
  }
  a.causal = static_cast<int32_t>(ip[ATTUNE_SDPA_I_CAUSAL]);
  a.has_window = static_cast<int32_t>(ip[ATTUNE_SDPA_I_HAS_WINDOW]);
  a.window_sinks = ip[ATTUNE_SDPA_I_WINDOW_SINKS];
  a.window_left = ip[ATTUNE_SDPA_I_WINDOW_LEFT];
  a.window_right = ip[ATTUNE_SDPA_I_WINDOW_RIGHT];
  a.window_dilation = ip[ATTUNE_SDPA_I_WINDOW_DILATION];
  a.window_clamp = static_cast<int32_t>(ip[ATTUNE_SDPA_I_WINDOW_CLAMP]);
  a.has_zero_tuning = static_cast<int32_t>(ip[ATTUNE_SDPA_I_HAS_ZERO_TUNING]);
  a.has_act = static_cast<int32_t>(ip[ATTUNE_SDPA_I_HAS_ACT]);
  a.has_compensation =
      static_cast<int32_t>(ip[ATTUNE_SDPA_I_HAS_COMPENSATION]);
  a.act_beta = static_cast<float>(fp[ATTUNE_SDPA_F_ACT_BETA]);
  a.act_tau = static_cast<float>(fp[ATTUNE_SDPA_F_ACT_TAU]);
  a.tile_q = ip[ATTUNE_SDPA_I_TILE_Q];
  a.tile_k = ip[ATTUNE_SDPA_I_TILE_K];
  a.scale = static_cast<float>(fp[ATTUNE_SDPA_F_SCALE]);
  a.softcap = static_cast<float>(fp[ATTUNE_SDPA_F_SOFTCAP]);
  a.zero_tuning_log_gamma =
      static_cast<float>(fp[ATTUNE_SDPA_F_ZERO_TUNING_LOG_GAMMA]);
  // Head flags travel as i64 after the fixed parameters.
  std::vector<uint8_t> sparse, zt;
  if (ip[ATTUNE_SDPA_I_HAS_HEAD_FLAGS]) {
    sparse.resize(a.heads_q);
    zt.resize(a.heads_q);
    for (int64_t h = 0; h < a.heads_q; ++h) {
      sparse[h] = ip[ATTUNE_SDPA_I_COUNT + h] != 0;
      zt[h] = ip[ATTUNE_SDPA_I_COUNT + a.heads_q + h] != 0;
    }
    a.sparse_heads = sparse.data();
    a.zero_tuning_heads = zt.data();
  }
  if (ip[ATTUNE_SDPA_I_HAS_KV_INDEX]) {
    a.kv_index = kvIndex->data();
    for (int d = 0; d < 3; ++d)
      a.kv_index_stride[d] = kvIndex->sizes[d] == 1 ? 0 : kvIndex->strides[d];
    a.index_len = kvIndex->sizes[2];
    a.tail_start = tailStart->data();
  }
  if (ip[ATTUNE_SDPA_I_HAS_ROW_SCORES]) {
    // [B, Hq, 1, Lk]: the unit row dimension carries no stride.
    a.row_scores = rowScores->data();
    a.row_scores_stride[0] = rowScores->strides[0];
    a.row_scores_stride[1] = rowScores->strides[1];
    a.row_scores_stride[2] = rowScores->strides[3];
  }
  attune_sdpa_f32(&a);
}
} // namespace

extern "C" void _mlir_ciface_attune_sdpa_f32(
    MemRef<float, 4> *q, MemRef<float, 4> *k, MemRef<float, 4> *v,
    MemRef<float, 4> *o, MemRef<float, 4> *maskAdd,
    MemRef<uint8_t, 4> *maskBool, MemRef<uint8_t, 4> *blockMask,
    MemRef<int64_t, 3> *kvIndex, MemRef<int64_t, 1> *tailStart,
    MemRef<float, 4> *kTail, MemRef<float, 4> *vTail,
    MemRef<float, 4> *rowScores, MemRef<int64_t, 1> *iparams,
    MemRef<double, 1> *fparams) {
  sdpaFromMemRefs(ATTUNE_SDPA_KV_F32, q, k, v, o, maskAdd, maskBool,
                  blockMask, kvIndex, tailStart, kTail, vTail, rowScores,
                  iparams, fparams);
}

// The same call with 16-bit K, V (and tail pieces): a KV cache is read at
// its own width.
#define ATTUNE_SDPA_KV16_ENTRY(suffix, type)                                   \
  extern "C" void _mlir_ciface_attune_sdpa_f32_##suffix(                       \
      MemRef<float, 4> *q, MemRef<uint16_t, 4> *k, MemRef<uint16_t, 4> *v,     \
      MemRef<float, 4> *o, MemRef<float, 4> *maskAdd,                          \
      MemRef<uint8_t, 4> *maskBool, MemRef<uint8_t, 4> *blockMask,             \
      MemRef<int64_t, 3> *kvIndex, MemRef<int64_t, 1> *tailStart,              \
      MemRef<uint16_t, 4> *kTail, MemRef<uint16_t, 4> *vTail,                 \
      MemRef<float, 4> *rowScores, MemRef<int64_t, 1> *iparams,               \
      MemRef<double, 1> *fparams) {                                            \
    sdpaFromMemRefs(type, q, k, v, o, maskAdd, maskBool, blockMask, kvIndex,   \
                    tailStart, kTail, vTail, rowScores, iparams, fparams);     \
  }
ATTUNE_SDPA_KV16_ENTRY(kvf16, ATTUNE_SDPA_KV_F16)
ATTUNE_SDPA_KV16_ENTRY(kvbf16, ATTUNE_SDPA_KV_BF16)
#undef ATTUNE_SDPA_KV16_ENTRY
