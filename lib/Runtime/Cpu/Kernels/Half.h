//===- Half.h - 16-bit floats to f32 ----------------------------*- C++ -*-===//
//
// Scalar conversions of IEEE half and bfloat16 bit patterns, shared by the
// plain-C++ vector vocabulary and the kernels' scalar loops.
//
//===----------------------------------------------------------------------===//

#ifndef ATTUNE_RUNTIME_CPU_KERNELS_HALF_H
#define ATTUNE_RUNTIME_CPU_KERNELS_HALF_H

#include <cstdint>
#include <cstring>

namespace attune::cpu {

/// IEEE half and bfloat16 to float (exact).
inline float halfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) // infinity, NaN
    bits = sign | 0x7f800000u | (man << 13);
  else if (exp != 0)
    bits = sign | ((exp + 112) << 23) | (man << 13);
  else { // zero, subnormal: man * 2^-24
    float f = static_cast<float>(man) * 5.9604644775390625e-8f;
    return sign ? -f : f;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
inline float bf16ToFloat(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

} // namespace attune::cpu

#endif
