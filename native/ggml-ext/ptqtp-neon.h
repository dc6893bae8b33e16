// PTQTP dot products for 64-bit ARM NEON (SDOT where the build enables dotprod).
// Included by ptqtp-cpu.c only. Trits are made signed first, so no offset correction is needed.
#pragma once

#include <arm_neon.h>

static inline int32x4_t ptqtp_dot16(int32x4_t acc, int8x16_t a, int8x16_t b) {
#if defined(__ARM_FEATURE_DOTPROD)
  return vdotq_s32(acc, a, b);
#else
  const int16x8_t lo = vmull_s8(vget_low_s8(a), vget_low_s8(b));
  const int16x8_t hi = vmull_s8(vget_high_s8(a), vget_high_s8(b));
  return vpadalq_s16(vpadalq_s16(acc, lo), hi);
#endif
}

static inline float ptqtp_half(uint16_t h) {
  __fp16 f;
  memcpy(&f, &h, sizeof(f));
  return (float)f;
}

static inline int8x16_t ptqtp_signed(uint8x16_t codes) {
  return vsubq_s8(vreinterpretq_s8_u8(codes), vdupq_n_s8(1));
}

static void ptqtp2_dot_neon(int n, float* s, const block_ptqtp2* x, const block_q8_K* y) {
  const uint8x16_t m3 = vdupq_n_u8(3);
  float sum = 0.0f;
  for (int i = 0; i < n / PTQTP_QK; ++i) {
    for (int g = 0; g < 2; ++g) {
      int32x4_t s1 = vdupq_n_s32(0), s2 = vdupq_n_s32(0);
      for (int h = 0; h < 2; ++h) {
        const uint8x16_t p = vld1q_u8(x[i].qs[0] + 32 * g + 16 * h);
        const uint8x16_t q = vld1q_u8(x[i].qs[1] + 32 * g + 16 * h);
        const int8_t* q8 = y[i].qs + 128 * g + 16 * h;
        const int8x16_t y0 = vld1q_s8(q8), y1 = vld1q_s8(q8 + 32);
        const int8x16_t y2 = vld1q_s8(q8 + 64), y3 = vld1q_s8(q8 + 96);
        s1 = ptqtp_dot16(s1, ptqtp_signed(vandq_u8(p, m3)), y0);
        s1 = ptqtp_dot16(s1, ptqtp_signed(vandq_u8(vshrq_n_u8(p, 2), m3)), y1);
        s1 = ptqtp_dot16(s1, ptqtp_signed(vandq_u8(vshrq_n_u8(p, 4), m3)), y2);
        s1 = ptqtp_dot16(s1, ptqtp_signed(vshrq_n_u8(p, 6)), y3);
        s2 = ptqtp_dot16(s2, ptqtp_signed(vandq_u8(q, m3)), y0);
        s2 = ptqtp_dot16(s2, ptqtp_signed(vandq_u8(vshrq_n_u8(q, 2), m3)), y1);
        s2 = ptqtp_dot16(s2, ptqtp_signed(vandq_u8(vshrq_n_u8(q, 4), m3)), y2);
        s2 = ptqtp_dot16(s2, ptqtp_signed(vshrq_n_u8(q, 6)), y3);
      }
      sum += y[i].d * (ptqtp_half(x[i].d[g][0]) * (float)vaddvq_s32(s1) +
                       ptqtp_half(x[i].d[g][1]) * (float)vaddvq_s32(s2));
    }
  }
  *s = sum;
}

/** The trits at base-3 place `pow` of 16 packed bytes, as signed bytes. */
static inline int8x16_t ptqtp_trits(uint8x16_t q, uint8x16_t pow) {
  const uint8x16_t qn = vmulq_u8(q, pow);
  const uint16x8_t lo = vmull_u8(vget_low_u8(qn), vdup_n_u8(3));
  const uint16x8_t hi = vmull_u8(vget_high_u8(qn), vdup_n_u8(3));
  return ptqtp_signed(vcombine_u8(vshrn_n_u16(lo, 8), vshrn_n_u16(hi, 8)));
}

/** Sums of one base-3 plane's trits times the activations, per group. */
static inline void ptqtp_plane_base3(const uint8_t* qs, const uint8_t* qh, const int8_t* q8,
                                     int32_t out[2]) {
  static const uint8_t k_pow3[5] = {1, 3, 9, 27, 81};
  static const uint8_t k_qh_pow[16] = {1, 1, 1, 1, 3, 3, 3, 3, 9, 9, 9, 9, 27, 27, 27, 27};
  int32x4_t s0 = vdupq_n_s32(0), s1 = vdupq_n_s32(0);
  for (int h = 0; h < 2; ++h) {
    const uint8x16_t a = vld1q_u8(qs + 16 * h);
    for (int n = 0; n < 5; ++n) {
      const int8x16_t t = ptqtp_trits(a, vdupq_n_u8(k_pow3[n]));
      const int8x16_t v = vld1q_s8(q8 + 32 * n + 16 * h);
      if (n < 4) {
        s0 = ptqtp_dot16(s0, t, v);  // elements 0..127
      } else {
        s1 = ptqtp_dot16(s1, t, v);
      }
    }
  }
  const uint8x16_t b = vld1q_u8(qs + 32);
  for (int n = 0; n < 5; ++n) {
    s1 = ptqtp_dot16(s1, ptqtp_trits(b, vdupq_n_u8(k_pow3[n])), vld1q_s8(q8 + 160 + 16 * n));
  }
  uint32_t h32;
  memcpy(&h32, qh, sizeof(h32));
  const uint8x16_t hb = vreinterpretq_u8_u32(vdupq_n_u32(h32));
  s1 = ptqtp_dot16(s1, ptqtp_trits(hb, vld1q_u8(k_qh_pow)), vld1q_s8(q8 + 240));
  out[0] = vaddvq_s32(s0);
  out[1] = vaddvq_s32(s1);
}

static void ptqtp1_dot_neon(int n, float* s, const block_ptqtp1* x, const block_q8_K* y) {
  float sum = 0.0f;
  for (int i = 0; i < n / PTQTP_QK; ++i) {
    int32_t p1[2], p2[2];
    ptqtp_plane_base3(x[i].qs[0], x[i].qh[0], y[i].qs, p1);
    ptqtp_plane_base3(x[i].qs[1], x[i].qh[1], y[i].qs, p2);
    for (int g = 0; g < 2; ++g) {
      sum += y[i].d * (ptqtp_half(x[i].d[g][0]) * (float)p1[g] +
                       ptqtp_half(x[i].d[g][1]) * (float)p2[g]);
    }
  }
  *s = sum;
}
