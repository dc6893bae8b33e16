// ggml's two fp16 conversions, for building the PTQTP kernels and their test without the ggml
// libraries (cross-compiled for ARM and run under qemu by tests/native/ptqtp-c.test.ts).
#include "ggml.h"

#include <string.h>

float ggml_fp16_to_fp32(ggml_fp16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    exp = 113;
    while ((mant & 0x400) == 0) {
      mant <<= 1;
      --exp;
    }
    bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
  }
  float f;
  memcpy(&f, &bits, sizeof(f));
  return f;
}

ggml_fp16_t ggml_fp32_to_fp16(float f) {
  uint32_t x;
  memcpy(&x, &f, sizeof(x));
  const uint32_t sign = (x >> 16) & 0x8000;
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) {
    return (ggml_fp16_t)(sign | 0x7c00 | (abs > 0x7f800000u ? 0x200 : 0));
  }
  if (abs >= 0x477ff000u) {
    return (ggml_fp16_t)(sign | 0x7c00);  // rounds to infinity
  }
  if (abs < 0x38800000u) {  // subnormal half (or zero): round to nearest even
    const uint32_t shift = 126 - (abs >> 23);
    if (shift > 24) {
      return (ggml_fp16_t)sign;
    }
    const uint32_t m = (abs & 0x7fffff) | 0x800000;
    uint32_t r = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    r += (rem > half) || (rem == half && (r & 1));
    return (ggml_fp16_t)(sign | r);
  }
  uint32_t r = ((abs - 0x38000000u) >> 13);
  const uint32_t rem = abs & 0x1fff;
  r += (rem > 0x1000) || (rem == 0x1000 && (r & 1));
  return (ggml_fp16_t)(sign | r);
}
