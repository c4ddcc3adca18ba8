//===- Vec16Scalar.h - 16 x f32 vectors in plain C++ ------------*- C++ -*-===//
//
// The kernels' vector vocabulary without AVX-512 (see Vec16Avx512.h); the
// compiler vectorizes these loops for whatever the target has.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_RUNTIME_CPU_KERNELS_VEC16SCALAR_H
#define ATTUNE_RUNTIME_CPU_KERNELS_VEC16SCALAR_H

#include "lib/Runtime/Cpu/Kernels/Half.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

namespace attune::cpu::generic {

struct V {
  float r[16];
};
using Mask = uint32_t;

inline Mask tailMask(int n) { return n >= 16 ? 0xFFFFu : ((1u << n) - 1u); }
#define ATTUNE_V_MAP(expr)                                                     \
  V o;                                                                         \
  for (int l = 0; l < 16; ++l)                                                 \
    o.r[l] = (expr);                                                           \
  return o;
inline V zero() { ATTUNE_V_MAP(0.0f) }
inline V set1(float x) { ATTUNE_V_MAP(x) }
inline V load(const float *p) { ATTUNE_V_MAP(p[l]) }
inline V loadMasked(const float *p, Mask m) {
  ATTUNE_V_MAP((m >> l) & 1u ? p[l] : 0.0f)
}
/// 16 IEEE half / bfloat16 elements widened to f32.
inline V loadF16(const uint16_t *p) { ATTUNE_V_MAP(halfToFloat(p[l])) }
inline V loadBf16(const uint16_t *p) { ATTUNE_V_MAP(bf16ToFloat(p[l])) }
inline void store(float *p, V v) {
  for (int l = 0; l < 16; ++l)
    p[l] = v.r[l];
}
inline void storeMasked(float *p, V v, Mask m) {
  for (int l = 0; l < 16; ++l)
    if ((m >> l) & 1u)
      p[l] = v.r[l];
}
inline V fma(V a, V b, V c) { ATTUNE_V_MAP(a.r[l] * b.r[l] + c.r[l]) }
inline V add(V a, V b) { ATTUNE_V_MAP(a.r[l] + b.r[l]) }
inline V sub(V a, V b) { ATTUNE_V_MAP(a.r[l] - b.r[l]) }
inline V mul(V a, V b) { ATTUNE_V_MAP(a.r[l] * b.r[l]) }
inline V div(V a, V b) { ATTUNE_V_MAP(a.r[l] / b.r[l]) }
inline V max(V a, V b) { ATTUNE_V_MAP(std::max(a.r[l], b.r[l])) }
inline V min(V a, V b) { ATTUNE_V_MAP(std::min(a.r[l], b.r[l])) }
inline V blend(Mask m, V a, V b) {
  ATTUNE_V_MAP((m >> l) & 1u ? a.r[l] : b.r[l])
}
inline V exp(V x) { ATTUNE_V_MAP(std::exp(x.r[l])) }
/// e^x * 2^c (see Vec16Avx512.h).
inline V expShift(V x, V c) {
  ATTUNE_V_MAP(std::exp2(x.r[l] * 1.44269504088896341f + c.r[l]))
}
inline V tanh(V x) { ATTUNE_V_MAP(std::tanh(x.r[l])) }
#undef ATTUNE_V_MAP
inline V reduce16(const V a[16]) {
  V o;
  for (int l = 0; l < 16; ++l) {
    float s = 0;
    for (int k = 0; k < 16; ++k)
      s += a[l].r[k];
    o.r[l] = s;
  }
  return o;
}
inline void transpose16(V a[16]) {
  for (int i = 0; i < 16; ++i)
    for (int j = i + 1; j < 16; ++j)
      std::swap(a[i].r[j], a[j].r[i]);
}
inline float lane0(V a) { return a.r[0]; }
inline float reduceMax(V a) {
  float m = a.r[0];
  for (int l = 1; l < 16; ++l)
    m = std::max(m, a.r[l]);
  return m;
}
inline float reduceAdd(V a) {
  float s = 0;
  for (int l = 0; l < 16; ++l)
    s += a.r[l];
  return s;
}

} // namespace attune::cpu::generic

#endif
