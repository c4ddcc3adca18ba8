//===- Vec16Avx512.h - 16 x f32 vectors on AVX-512 --------------*- C++ -*-===//
//
// The vector vocabulary the kernels are written in (SdpaKernel.inc), mapped
// to AVX-512F intrinsics. Vec16Scalar.h is the same vocabulary in plain C++
// for machines without AVX-512.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_RUNTIME_CPU_KERNELS_VEC16AVX512_H
#define ATTUNE_RUNTIME_CPU_KERNELS_VEC16AVX512_H

#include <immintrin.h>

#include <cstdint>

namespace attune::cpu::avx512 {

struct V {
  __m512 r;
};
using Mask = __mmask16;

inline Mask tailMask(int n) {
  return n >= 16 ? Mask(0xFFFF) : Mask((1u << n) - 1u);
}
inline V zero() { return {_mm512_setzero_ps()}; }
inline V set1(float x) { return {_mm512_set1_ps(x)}; }
inline V load(const float *p) { return {_mm512_loadu_ps(p)}; }
inline V loadMasked(const float *p, Mask m) {
  return {_mm512_maskz_loadu_ps(m, p)};
}
/// 16 IEEE half / bfloat16 elements widened to f32.
inline V loadF16(const uint16_t *p) {
  return {_mm512_cvtph_ps(
      _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)))};
}
inline V loadBf16(const uint16_t *p) {
  return {_mm512_castsi512_ps(_mm512_slli_epi32(
      _mm512_cvtepu16_epi32(
          _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p))),
      16))};
}
inline void store(float *p, V v) { _mm512_storeu_ps(p, v.r); }
inline void storeMasked(float *p, V v, Mask m) {
  _mm512_mask_storeu_ps(p, m, v.r);
}
inline V fma(V a, V b, V c) { return {_mm512_fmadd_ps(a.r, b.r, c.r)}; }
inline V add(V a, V b) { return {_mm512_add_ps(a.r, b.r)}; }
inline V sub(V a, V b) { return {_mm512_sub_ps(a.r, b.r)}; }
inline V mul(V a, V b) { return {_mm512_mul_ps(a.r, b.r)}; }
inline V div(V a, V b) { return {_mm512_div_ps(a.r, b.r)}; }
inline V max(V a, V b) { return {_mm512_max_ps(a.r, b.r)}; }
inline V min(V a, V b) { return {_mm512_min_ps(a.r, b.r)}; }
/// Lanes of m from a, the others from b.
inline V blend(Mask m, V a, V b) { return {_mm512_mask_blend_ps(m, b.r, a.r)}; }
inline float reduceMax(V a) { return _mm512_reduce_max_ps(a.r); }
inline float reduceAdd(V a) { return _mm512_reduce_add_ps(a.r); }
inline float lane0(V a) { return _mm512_cvtss_f32(a.r); }

/// Lane l of the result is the sum of the lanes of a[l] (16 horizontal sums
/// in 15 shuffle-add steps instead of 16 separate reductions).
inline V reduce16(const V a[16]) {
  __m512 s[8], t[4], u[2];
  for (int i = 0; i < 8; ++i) // 512 -> 256 bits per source, sources paired
    s[i] =
        _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * i].r, a[2 * i + 1].r, 0x44),
                      _mm512_shuffle_f32x4(a[2 * i].r, a[2 * i + 1].r, 0xEE));
  for (int i = 0; i < 4; ++i) // 256 -> 128 bits: one source per 128-bit lane
    t[i] = _mm512_add_ps(_mm512_shuffle_f32x4(s[2 * i], s[2 * i + 1], 0x88),
                         _mm512_shuffle_f32x4(s[2 * i], s[2 * i + 1], 0xDD));
  for (int i = 0; i < 2; ++i) // 4 -> 2 floats per source
    u[i] = _mm512_add_ps(_mm512_unpacklo_ps(t[2 * i], t[2 * i + 1]),
                         _mm512_unpackhi_ps(t[2 * i], t[2 * i + 1]));
  __m512 r =
      _mm512_add_ps(_mm512_shuffle_ps(u[0], u[1], _MM_SHUFFLE(1, 0, 1, 0)),
                    _mm512_shuffle_ps(u[0], u[1], _MM_SHUFFLE(3, 2, 3, 2)));
  // r's lanes hold the sources in a fixed shuffled order; put them back.
  const __m512i order =
      _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return {_mm512_permutexvar_ps(order, r)};
}

/// Transposes the 16 x 16 matrix whose rows are a[0..16) in place: 32
/// in-lane shuffles, then 32 128-bit-lane shuffles.
inline void transpose16(V a[16]) {
  __m512 t[16], r[16];
  for (int i = 0; i < 8; ++i) { // pairs of rows interleaved
    t[2 * i] = _mm512_unpacklo_ps(a[2 * i].r, a[2 * i + 1].r);
    t[2 * i + 1] = _mm512_unpackhi_ps(a[2 * i].r, a[2 * i + 1].r);
  }
  for (int i = 0; i < 4; ++i) { // 4 x 4 blocks transposed in each lane
    r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  for (int h = 0; h < 2; ++h) // 128-bit lanes of row quads 2h and 2h + 1
    for (int i = 0; i < 4; ++i) {
      t[8 * h + i] = _mm512_shuffle_f32x4(r[8 * h + i], r[8 * h + 4 + i], 0x88);
      t[8 * h + 4 + i] =
          _mm512_shuffle_f32x4(r[8 * h + i], r[8 * h + 4 + i], 0xDD);
    }
  for (int i = 0; i < 8; ++i) {
    a[i].r = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
    a[8 + i].r = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xDD);
  }
}

/// e^x to about 2 ulp for x in [-87, 88]; smaller x (and -inf) give 0.
inline V exp(V x) {
  const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
  const __m512 ln2hi = _mm512_set1_ps(0.693145751953125f);
  const __m512 ln2lo = _mm512_set1_ps(1.428606765330187e-06f);
  __m512 xc = _mm512_max_ps(x.r, _mm512_set1_ps(-104.0f));
  xc = _mm512_min_ps(xc, _mm512_set1_ps(88.7f));
  __m512 n = _mm512_roundscale_ps(
      _mm512_mul_ps(xc, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, ln2hi, xc);
  r = _mm512_fnmadd_ps(n, ln2lo, r);
  __m512 p = _mm512_set1_ps(1.0f / 5040);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  __m512 e = _mm512_scalef_ps(p, n);
  // Below -104 the true value is 0 in f32; scalef would give a denormal.
  __mmask16 tiny = _mm512_cmp_ps_mask(x.r, _mm512_set1_ps(-104.0f), _CMP_LT_OQ);
  return {_mm512_mask_blend_ps(tiny, e, _mm512_setzero_ps())};
}

/// e^x * 2^c computed as 2^(x log2(e) + c): the softmax form, where c =
/// -m log2(e) folds the subtraction of the running max into one FMA. A
/// degree-5 polynomial for 2^f on [-1/2, 1/2] (2.2e-7 relative) and
/// vscalefps. Ten instructions
/// instead of exp()'s sixteen plus a subtraction.
inline V expShift(V x, V c) {
  __m512 t = _mm512_fmadd_ps(x.r, _mm512_set1_ps(1.44269504088896341f), c.r);
  // Results below 2^-126 (and -inf, NaN) become exact zeros: a denormal
  // probability would cost a microcode assist in every P V product.
  __mmask16 normal = _mm512_cmp_ps_mask(t, _mm512_set1_ps(-126.0f), _CMP_GE_OQ);
  __m512 n =
      _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 f = _mm512_sub_ps(t, n);
  __m512 p = _mm512_set1_ps(1.3266970636323094e-3f);
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.675459936261177e-3f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.550742521882057e-2f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.24022121727466583f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.6931469440460205f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0000001192092896f));
  return {_mm512_maskz_scalef_ps(normal, p, n)};
}

inline V tanh(V x) {
  // tanh(x) = 1 - 2 / (e^{2x} + 1), saturating for |x| > 9.
  __m512 xc = _mm512_min_ps(_mm512_max_ps(x.r, _mm512_set1_ps(-9.0f)),
                            _mm512_set1_ps(9.0f));
  __m512 e = exp(V{_mm512_add_ps(xc, xc)}).r;
  __m512 t =
      _mm512_sub_ps(_mm512_set1_ps(1.0f),
                    _mm512_div_ps(_mm512_set1_ps(2.0f),
                                  _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
  // Small |x|: the subtraction loses relative precision; use x - x^3/3.
  __m512 x2 = _mm512_mul_ps(x.r, x.r);
  __m512 small =
      _mm512_mul_ps(x.r, _mm512_fnmadd_ps(x2, _mm512_set1_ps(1.0f / 3),
                                          _mm512_set1_ps(1.0f)));
  __mmask16 isSmall = _mm512_cmp_ps_mask(x2, _mm512_set1_ps(1e-6f), _CMP_LT_OQ);
  return {_mm512_mask_blend_ps(isSmall, t, small)};
}

} // namespace attune::cpu::avx512

#endif
