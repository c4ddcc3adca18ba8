/*===- CpuKernels.h - attune's CPU kernel library, C interface ----*- C -*-===*
 *
 * The hand-scheduled kernels that compiled attune code calls (JIT and shared
 * libraries alike): fused attention (flash style, online softmax), and the
 * shims through which MLIR-generated code reaches them.
 *
 * Generated code calls the `_mlir_ciface_attune_*` entry points with memref
 * descriptors and two parameter arrays whose layout is fixed below; the
 * `attune_*` functions taking plain structs are the library's own API.
 *
 *===----------------------------------------------------------------------===*/

#ifndef ATTUNE_RUNTIME_CPUKERNELS_H
#define ATTUNE_RUNTIME_CPUKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Threads used by the kernels: ATTUNE_NUM_THREADS, else the CPUs available. */
int attune_cpu_num_threads(void);
void attune_cpu_set_num_threads(int n);

/* Cumulative time spent in each kernel family since the last reset (ns), so
 * that a benchmark can split a run into kernel time and the rest. */
enum attune_kernel_family {
  ATTUNE_KERNEL_SDPA = 0,
  ATTUNE_KERNEL_GEMM = 1,
  ATTUNE_KERNEL_LINEAR = 2,
  ATTUNE_KERNEL_SELECT = 3,
  ATTUNE_KERNEL_FAMILIES = 8
};
void attune_cpu_profile_reset(void);
uint64_t attune_cpu_profile_ns(int family);
uint64_t attune_cpu_profile_calls(int family);

/*--- Fused attention ------------------------------------------------------*/

/* Mask kinds. */
enum { ATTUNE_MASK_NONE = 0, ATTUNE_MASK_BOOL = 1, ATTUNE_MASK_ADD = 2 };
/* Causality (as attn.sdpa's `causal`). */
enum { ATTUNE_CAUSAL_NONE = 0, ATTUNE_CAUSAL_TOP_LEFT = 1,
       ATTUNE_CAUSAL_BOTTOM_RIGHT = 2 };

/* One attention call, [B, H, L, D] tensors addressed by element strides
 * (stride 0 broadcasts). Semantics are exactly those of attn.sdpa. */
typedef struct attune_sdpa_args {
  const float *q, *k, *v;
  float *o;
  int64_t batch, heads_q, heads_kv, len_q, len_k, dim, dim_v;
  int64_t q_stride[4], k_stride[4], v_stride[4], o_stride[4];

  int32_t mask_kind;          /* ATTUNE_MASK_* */
  const void *mask;           /* uint8_t (bool) or float (additive) */
  int64_t mask_stride[4];     /* [b, h, i, j]; 0 where broadcast */

  const uint8_t *block_mask;  /* null: none */
  int64_t block_mask_stride[4];
  int64_t block_q, block_k;

  float scale;
  float softcap;              /* 0: none */
  int32_t causal;             /* ATTUNE_CAUSAL_* */

  int32_t has_window, window_clamp;
  int64_t window_sinks, window_left, window_right, window_dilation;

  /* Per query head: 1 when the sparsity (window, block mask) applies; null
   * means every head. */
  const uint8_t *sparse_heads;
  /* ZeroTuning: ln(gamma) added to key 0's score on the flagged heads (null
   * flags: every head). */
  int32_t has_zero_tuning;
  float zero_tuning_log_gamma;
  /* Heads the score modification (ZeroTuning or ACT) applies to; null:
   * every head. */
  const uint8_t *zero_tuning_heads;
  /* ACT: column means c_j of the probabilities over the queries that see
   * key j; sink columns {j > 0 : c_j > act_tau} are scaled by act_beta and
   * their mass given back to the other columns in proportion. */
  int32_t has_act;
  float act_beta, act_tau;

  /* Key subset (recycled partial steps): per [b, kv head] the `index_len`
   * positions in kv_index (-1 = none), plus every position >= tail_start[b].
   * Null kv_index: all keys. */
  const int64_t *kv_index;
  int64_t kv_index_stride[3];
  int64_t index_len;
  const int64_t *tail_start;

  /* Tile sizes (0: the library's choice). */
  int64_t tile_q, tile_k;

  /* Keys and values in two pieces, as Concat(past, new) gives them: key
   * positions [kv_split, len_k) are rows [0, len_k - kv_split) of k_tail /
   * v_tail, so the concatenation is never copied. Null k_tail: one piece. */
  const float *k_tail, *v_tail;
  int64_t k_tail_stride[4], v_tail_stride[4];
  int64_t kv_split;

  /* Scores of the last query row (a recycled full step ranks the keys by
   * them): when set, row_scores[b, h, j] (element strides [b, h, j]) is the
   * score of query row len_q - 1 and key j as the softmax sees it (scaled,
   * soft-capped, masked; -inf for a key the row does not see), written for
   * the [b, h] whose keys are all read (no subset, or a subset holding every
   * position, as on a full step: tail_start[b] = 0); the others are left as
   * they are. Only the decode kernel (a key subset, or few query rows)
   * writes them: setting them for a problem of the tiled kernel aborts. */
  float *row_scores;
  int64_t row_scores_stride[3];

  /* RazorAttention's compensation token (with a window that is not dilated,
   * no block mask and no boolean mask): each row of a sparse head also
   * attends to one more key/value pair, the means of the keys and values
   * the window dropped from those the row sees (the scaled, soft-capped
   * dot product of the query with the mean key is its score; no additive
   * mask applies to it). The kernel keeps the dropped keys' sums per
   * (batch, kv head) as ranges that slide with the rows: O(D) per row, plus
   * O(L D) where a work item's first row starts its sums. */
  int32_t has_compensation;

  /* Element type of k, v, k_tail and v_tail (ATTUNE_SDPA_KV_*). For F16
   * and BF16 those pointers hold 16-bit elements (cast to const float *;
   * strides still count elements): the decode kernel reads them as they are
   * (half the bytes of f32 from a 16-bit KV cache) and widens each block of
   * rows in L1; the tiled kernel and the compensation token take f32 copies
   * made in the call. */
  int32_t kv_type;
} attune_sdpa_args;

enum { ATTUNE_SDPA_KV_F32 = 0, ATTUNE_SDPA_KV_F16 = 1, ATTUNE_SDPA_KV_BF16 = 2 };

void attune_sdpa_f32(const attune_sdpa_args *args);

/*--- Calling convention of generated code ---------------------------------*/

/* Layout of the i64 parameter array passed to _mlir_ciface_attune_sdpa_f32
 * (and to _mlir_ciface_attune_sdpa_f32_kvf16 / _kvbf16, the same call with
 * K, V and their tail pieces as f16 / bf16 memrefs: kv_type F16 / BF16).
 * Entries after ATTUNE_SDPA_I_COUNT: heads_q sparse-head flags, then heads_q
 * score-modification (ZeroTuning / ACT) head flags. */
enum attune_sdpa_iparam {
  ATTUNE_SDPA_I_VERSION = 0,  /* ATTUNE_SDPA_ABI_VERSION */
  ATTUNE_SDPA_I_CAUSAL,
  ATTUNE_SDPA_I_MASK_KIND,
  ATTUNE_SDPA_I_HAS_BLOCK_MASK,
  ATTUNE_SDPA_I_BLOCK_Q,
  ATTUNE_SDPA_I_BLOCK_K,
  ATTUNE_SDPA_I_HAS_WINDOW,
  ATTUNE_SDPA_I_WINDOW_SINKS,
  ATTUNE_SDPA_I_WINDOW_LEFT,
  ATTUNE_SDPA_I_WINDOW_RIGHT,
  ATTUNE_SDPA_I_WINDOW_DILATION,
  ATTUNE_SDPA_I_WINDOW_CLAMP,
  ATTUNE_SDPA_I_HAS_ZERO_TUNING,
  ATTUNE_SDPA_I_HAS_HEAD_FLAGS,
  ATTUNE_SDPA_I_HAS_KV_INDEX,
  ATTUNE_SDPA_I_TILE_Q,
  ATTUNE_SDPA_I_TILE_K,
  ATTUNE_SDPA_I_HAS_ACT,
  ATTUNE_SDPA_I_KV_SPLIT, /* > 0: K_TAIL / V_TAIL hold positions from here */
  ATTUNE_SDPA_I_HAS_ROW_SCORES, /* ROW_SCORES [B, Hq, 1, Lk] is written */
  ATTUNE_SDPA_I_HAS_COMPENSATION,
  ATTUNE_SDPA_I_COUNT
};
enum attune_sdpa_fparam {
  ATTUNE_SDPA_F_SCALE = 0,
  ATTUNE_SDPA_F_SOFTCAP,
  ATTUNE_SDPA_F_ZERO_TUNING_LOG_GAMMA,
  ATTUNE_SDPA_F_ACT_BETA,
  ATTUNE_SDPA_F_ACT_TAU,
  ATTUNE_SDPA_F_COUNT
};
#define ATTUNE_SDPA_ABI_VERSION 5

/*--- Matrix products ------------------------------------------------------*/

/* Strided batched f32 GEMM: for every batch index b,
 *   C[b] (m x n) = A[b] (m x k) . B[b] (k x n)  (+ C0[b] when c0 is set).
 * Every operand is addressed by element strides [batch, row, col]; any
 * stride may be 0 (a batch stride of 0 broadcasts the operand over the
 * batch), so transposed operands need no copy. c0 may be c itself (same
 * strides): the product is then accumulated in place. */
typedef struct attune_gemm_args {
  const float *a, *b;
  const float *c0; /* null: C = A.B */
  float *c;
  int64_t batch, m, n, k;
  int64_t a_stride[3];  /* [batch, m, k] */
  int64_t b_stride[3];  /* [batch, k, n] */
  int64_t c0_stride[3]; /* [batch, m, n] */
  int64_t c_stride[3];  /* [batch, m, n] */
} attune_gemm_args;

void attune_gemm_f32(const attune_gemm_args *args);

/* Generated code calls
 *   _mlir_ciface_attune_gemm_f32(A, B, C0, C, flags)
 * with rank-3 memrefs [batch, rows, cols] (any strides, read from the
 * descriptors; a size-1 batch dim of A, B or C0 broadcasts) and an i64 flags
 * word: ATTUNE_GEMM_ABI_VERSION in bits 8..15, ATTUNE_GEMM_ACCUMULATE in
 * bit 0 (C0 is added; otherwise C0 is a placeholder that is never read). */
enum { ATTUNE_GEMM_ACCUMULATE = 1 };
#define ATTUNE_GEMM_ABI_VERSION 1

/*--- Linear attention -----------------------------------------------------*/

/* Variants and feature maps of attn.linear. */
enum { ATTUNE_LINEAR_KERNELIZED = 0, ATTUNE_LINEAR_MALA = 1,
       ATTUNE_LINEAR_LIGHTNING = 2 };
enum { ATTUNE_FEATURE_ELU1 = 0, ATTUNE_FEATURE_RELU = 1 };

/* One attn.linear: q [B, Hq, Lq, D], k [B, Hkv, Lk, D], v [B, Hkv, Lk, E],
 * o [B, Hq, Lq, E] addressed by element strides. Semantics are exactly
 * those of attn.linear (AttnOps.td): kernelized num / den (a row with
 * den = 0 is zero), MALA, Lightning (q . k scaled by `scale`, decay[h] per
 * query head or none); `causal` aligns queries to the end of the keys
 * (Lq <= Lk). Causal forms walk the keys in chunks of `chunk` with a
 * running K^T [V, 1] state: O(L D E) work, nothing of size Lq x Lk.
 * `exclude` (kernelized only; null: none): one byte per (b, h, query block
 * of block_q rows, key block of block_k keys), strides 0 on broadcast
 * dimensions; a nonzero byte drops that key block from the block's rows
 * (the linear term of the SLA hybrid). Per (b, h) the kernel keeps one
 * K^T [V, 1] state per key block and gives each query block the sum of
 * the states it sees (adding the included or subtracting the excluded
 * ones from the running sum, whichever are fewer); with `causal` a row's
 * own key block is a masked direct product. */
typedef struct attune_linear_args {
  const float *q, *k, *v;
  float *o;
  int64_t batch, heads_q, heads_kv, len_q, len_k, dim, dim_v;
  int64_t q_stride[4], k_stride[4], v_stride[4], o_stride[4];
  int32_t variant; /* ATTUNE_LINEAR_* */
  int32_t feature; /* ATTUNE_FEATURE_* (kernelized, MALA) */
  int32_t causal;  /* 0 or 1 */
  int64_t chunk;
  float scale;        /* MALA: s; Lightning: q . k scale */
  const float *decay; /* Lightning: heads_q rates, or null */
  const uint8_t *exclude;
  int64_t exclude_stride[4], block_q, block_k;
} attune_linear_args;

void attune_linear_f32(const attune_linear_args *args);

/* Generated code calls
 *   _mlir_ciface_attune_linear_f32(Q, K, V, O, EXCLUDE, iparams, fparams)
 * with rank-4 memrefs (EXCLUDE of i1, one byte per element, read only when
 * HAS_EXCLUDE is set) and the parameter arrays laid out below; fparams
 * holds heads_q decay rates after the fixed entries when HAS_DECAY is set.
 * Version 2 added EXCLUDE and its three parameters. */
enum attune_linear_iparam {
  ATTUNE_LINEAR_I_VERSION = 0, /* ATTUNE_LINEAR_ABI_VERSION */
  ATTUNE_LINEAR_I_VARIANT,
  ATTUNE_LINEAR_I_FEATURE,
  ATTUNE_LINEAR_I_CAUSAL,
  ATTUNE_LINEAR_I_CHUNK,
  ATTUNE_LINEAR_I_HAS_DECAY,
  ATTUNE_LINEAR_I_HAS_EXCLUDE,
  ATTUNE_LINEAR_I_BLOCK_Q,
  ATTUNE_LINEAR_I_BLOCK_K,
  ATTUNE_LINEAR_I_COUNT
};
enum attune_linear_fparam { ATTUNE_LINEAR_F_SCALE = 0, ATTUNE_LINEAR_F_COUNT };
#define ATTUNE_LINEAR_ABI_VERSION 2

/*--- Dynamic block selection ----------------------------------------------*/

/* Methods of attn.block_select. */
enum { ATTUNE_SELECT_MOBA = 0, ATTUNE_SELECT_SLA = 1, ATTUNE_SELECT_SALE = 2 };

/* One attn.block_select: q [B, Hq, Lq, D] and k [B, Hkv, Lk, D] addressed by
 * element strides, out [B, Hq, ceil(Lq / block_q), ceil(Lk / block_k)] bytes
 * (1: the key block is kept). Semantics are exactly those of
 * attn.block_select (AttnOps.td); `topk` is the number of blocks MoBA and SLA
 * keep (for SLA the caller computes max(1, ceil(topk_ratio * nk))), `tau`
 * SALE's relative threshold. */
typedef struct attune_block_select_args {
  const float *q, *k;
  uint8_t *out;
  int64_t batch, heads_q, heads_kv, len_q, len_k, dim;
  int64_t q_stride[4], k_stride[4], out_stride[4];
  int32_t method; /* ATTUNE_SELECT_* */
  int32_t causal; /* ATTUNE_CAUSAL_* */
  int64_t block_q, block_k, topk, sink_blocks, local_blocks;
  double scale, tau;
} attune_block_select_args;

void attune_block_select_f32(const attune_block_select_args *args);

/* Generated code calls
 *   _mlir_ciface_attune_block_select_f32(Q, K, OUT, iparams, fparams)
 * with rank-4 memrefs (OUT of i1, one byte per element) and the parameter
 * arrays laid out below. */
enum attune_select_iparam {
  ATTUNE_SELECT_I_VERSION = 0, /* ATTUNE_SELECT_ABI_VERSION */
  ATTUNE_SELECT_I_METHOD,
  ATTUNE_SELECT_I_CAUSAL,
  ATTUNE_SELECT_I_BLOCK_Q,
  ATTUNE_SELECT_I_BLOCK_K,
  ATTUNE_SELECT_I_TOPK,
  ATTUNE_SELECT_I_SINK_BLOCKS,
  ATTUNE_SELECT_I_LOCAL_BLOCKS,
  ATTUNE_SELECT_I_COUNT
};
enum attune_select_fparam {
  ATTUNE_SELECT_F_SCALE = 0,
  ATTUNE_SELECT_F_TAU,
  ATTUNE_SELECT_F_COUNT
};
#define ATTUNE_SELECT_ABI_VERSION 1

/*--- Recycled attention: a full step's kept positions ----------------------*/

/* The kept positions of one attn.recycle full step from the last query
 * row's scores: scores [B, Hq, 1, Lk] as the attention kernel's softmax saw
 * them (ATTUNE_SDPA_I_HAS_ROW_SCORES; -inf for keys the row does not see),
 * kept [B, Hkv, topk] positions, both addressed by element strides. Per
 * (b, g): the softmax of each head's row, the max over the group's heads and
 * over `pool` neighbouring positions (j - (pool-1)/2 .. j + pool/2), then the
 * topk best positions in increasing position order (ties: lower positions
 * win; -1 pads when topk > Lk), exactly attn.recycle's selection
 * (AttnOps.td). `full` (optional, one byte per batch element, `full_stride`
 * apart): batch elements whose byte is 0 are skipped and their kept rows
 * left as they were. */
typedef struct attune_recycle_topk_args {
  const float *scores;
  const uint8_t *full;
  int64_t *kept;
  int64_t batch, heads_q, heads_kv, len_k, topk, pool;
  int64_t scores_stride[4], kept_stride[3], full_stride;
} attune_recycle_topk_args;

void attune_recycle_topk_f32(const attune_recycle_topk_args *args);

/* Generated code calls
 *   _mlir_ciface_attune_recycle_topk_f32(SCORES, FULL, KEPT, iparams)
 * with SCORES a rank-4 f32 memref, FULL a rank-1 i1 memref (one byte per
 * element), KEPT a rank-3 i64 memref, and the parameters below. */
enum attune_recycle_iparam {
  ATTUNE_RECYCLE_I_VERSION = 0, /* ATTUNE_RECYCLE_ABI_VERSION */
  ATTUNE_RECYCLE_I_POOL,
  ATTUNE_RECYCLE_I_COUNT
};
#define ATTUNE_RECYCLE_ABI_VERSION 1

/*--- Buffers of generated code --------------------------------------------*/

/* Generated code calls
 *   _mlir_ciface_attune_copy_f32(SRC, DST)
 * with two unranked memrefs of the same shape (any layout) for large copies,
 * which run on the kernel threads, and allocates its heap buffers with
 *   void *_mlir_memref_to_llvm_alloc(size_t), _mlir_memref_to_llvm_free(void *)
 * which keep freed large blocks for reuse (ATTUNE_BUFFER_CACHE_MB, default
 * 1024; 0 disables). */

/*--- Run-time checks of generated code ------------------------------------*/

/* Generated code calls attune_check_failed(site, value, bound) where a check
 * on input data fails (a Gather index outside [-bound, bound)); `site`
 * numbers the module's `attune.checks` messages. The code goes on with a
 * clamped index (memory stays safe) and the runner reports the first
 * failure of the run, taken with attune_cpu_take_check_failure (1: there
 * was one, and it is cleared). Per thread: generated code runs its checks
 * on the thread that called it. */
void attune_check_failed(int64_t site, int64_t value, int64_t bound);
int attune_cpu_take_check_failure(int64_t *site, int64_t *value,
                                  int64_t *bound);

#ifdef __cplusplus
}
#endif

#endif /* ATTUNE_RUNTIME_CPUKERNELS_H */
