// PTQTP dot products for x86 AVX2 (and AVX-VNNI / AVX512-VNNI where the build enables it).
// Included by ptqtp-cpu.c only.
#pragma once

#include <immintrin.h>

#if (defined(__AVX512VNNI__) && defined(__AVX512VL__)) || defined(__AVXVNNI__)
#define PTQTP_VNNI 1
#else
#define PTQTP_VNNI 0
#endif

static inline float ptqtp_hsum8(__m256 x) {
  __m128 r = _mm_add_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
  r = _mm_add_ps(r, _mm_movehl_ps(r, r));
  r = _mm_add_ss(r, _mm_movehdup_ps(r));
  return _mm_cvtss_f32(r);
}

static inline __m256 ptqtp_fmadd(__m256 a, __m256 b, __m256 c) {
#if defined(__FMA__)
  return _mm256_fmadd_ps(a, b, c);
#else
  return _mm256_add_ps(_mm256_mul_ps(a, b), c);
#endif
}

/** Sum over 4 vectors of codes (u8) times activations (s8), as 8 int32 lanes. */
static inline __m256i ptqtp_group_dot(__m256i c0, __m256i c1, __m256i c2, __m256i c3, __m256i y0,
                                      __m256i y1, __m256i y2, __m256i y3) {
#if PTQTP_VNNI && defined(__AVX512VNNI__) && defined(__AVX512VL__)
  __m256i acc = _mm256_dpbusd_epi32(_mm256_setzero_si256(), c0, y0);
  acc = _mm256_dpbusd_epi32(acc, c1, y1);
  acc = _mm256_dpbusd_epi32(acc, c2, y2);
  return _mm256_dpbusd_epi32(acc, c3, y3);
#elif PTQTP_VNNI
  __m256i acc = _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), c0, y0);
  acc = _mm256_dpbusd_avx_epi32(acc, c1, y1);
  acc = _mm256_dpbusd_avx_epi32(acc, c2, y2);
  return _mm256_dpbusd_avx_epi32(acc, c3, y3);
#else
  // 16-bit partial sums cannot overflow: 4 maddubs of 2 * 2 * 128 each is 2048 at most.
  const __m256i s = _mm256_add_epi16(
      _mm256_add_epi16(_mm256_maddubs_epi16(c0, y0), _mm256_maddubs_epi16(c1, y1)),
      _mm256_add_epi16(_mm256_maddubs_epi16(c2, y2), _mm256_maddubs_epi16(c3, y3)));
  return _mm256_madd_epi16(s, _mm256_set1_epi16(1));
#endif
}

/** Applies the -1 offset of both planes: subtracts d_y * (a1 + a2) * sum(y) for each group. */
static inline __m256 ptqtp_offset(__m256 acc, const block_q8_K* y, float k0, float k1) {
  const __m256i bsums = _mm256_loadu_si256((const __m256i*)y->bsums);
  // Lanes 0-3 sum bsums 0-7 (group 0), lanes 4-7 bsums 8-15 (group 1).
  const __m256i b = _mm256_madd_epi16(bsums, _mm256_set1_epi16(1));
  const __m256 k = _mm256_setr_ps(k0, k0, k0, k0, k1, k1, k1, k1);
  return _mm256_sub_ps(acc, _mm256_mul_ps(_mm256_cvtepi32_ps(b), k));
}

static inline float ptqtp_half(uint16_t h) {
#if defined(__F16C__)
  return _cvtsh_ss(h);
#else
  return ggml_fp16_to_fp32(h);
#endif
}

static inline void ptqtp_scales(const uint16_t d[2][2], float dy, float a[2][2]) {
  for (int g = 0; g < 2; ++g) {
    a[g][0] = dy * ptqtp_half(d[g][0]);
    a[g][1] = dy * ptqtp_half(d[g][1]);
  }
}

static void ptqtp2_dot_avx2(int n, float* s, const block_ptqtp2* x, const block_q8_K* y) {
  const __m256i m3 = _mm256_set1_epi8(3);
  __m256 acc = _mm256_setzero_ps();
  for (int i = 0; i < n / PTQTP_QK; ++i) {
    float a[2][2];
    ptqtp_scales(x[i].d, y[i].d, a);
    for (int g = 0; g < 2; ++g) {
      const int8_t* q8 = y[i].qs + 128 * g;
      const __m256i y0 = _mm256_loadu_si256((const __m256i*)(q8 + 0));
      const __m256i y1 = _mm256_loadu_si256((const __m256i*)(q8 + 32));
      const __m256i y2 = _mm256_loadu_si256((const __m256i*)(q8 + 64));
      const __m256i y3 = _mm256_loadu_si256((const __m256i*)(q8 + 96));
      const __m256i p = _mm256_loadu_si256((const __m256i*)(x[i].qs[0] + 32 * g));
      const __m256i q = _mm256_loadu_si256((const __m256i*)(x[i].qs[1] + 32 * g));
      const __m256i s1 = ptqtp_group_dot(
          _mm256_and_si256(p, m3), _mm256_and_si256(_mm256_srli_epi16(p, 2), m3),
          _mm256_and_si256(_mm256_srli_epi16(p, 4), m3),
          _mm256_and_si256(_mm256_srli_epi16(p, 6), m3), y0, y1, y2, y3);
      const __m256i s2 = ptqtp_group_dot(
          _mm256_and_si256(q, m3), _mm256_and_si256(_mm256_srli_epi16(q, 2), m3),
          _mm256_and_si256(_mm256_srli_epi16(q, 4), m3),
          _mm256_and_si256(_mm256_srli_epi16(q, 6), m3), y0, y1, y2, y3);
      acc = ptqtp_fmadd(_mm256_cvtepi32_ps(s1), _mm256_set1_ps(a[g][0]), acc);
      acc = ptqtp_fmadd(_mm256_cvtepi32_ps(s2), _mm256_set1_ps(a[g][1]), acc);
    }
    acc = ptqtp_offset(acc, &y[i], a[0][0] + a[0][1], a[1][0] + a[1][1]);
  }
  *s = ptqtp_hsum8(acc);
}

// Multiplies bytes by 3^n (mod 256) and takes the top trit: TQ1_0's decoding, as in
// ggml-cpu/arch/x86/quants.c: (q * 3) >> 8 computed as a halving average.
static inline __m256i ptqtp_top_trit(__m256i q) {
  q = _mm256_subs_epu8(q, _mm256_set1_epi8(1));
  q = _mm256_avg_epu8(q, _mm256_avg_epu8(q, _mm256_setzero_si256()));
  return _mm256_and_si256(_mm256_srli_epi16(q, 6), _mm256_set1_epi8(3));
}

static inline __m256i ptqtp_mul9(__m256i q) {
  return _mm256_add_epi8(_mm256_and_si256(_mm256_slli_epi16(q, 3), _mm256_set1_epi8(-8)), q);
}

static inline __m128i ptqtp_mul9_128(__m128i q) {
  return _mm_add_epi8(_mm_and_si128(_mm_slli_epi16(q, 3), _mm_set1_epi8(-8)), q);
}

/** One base-3 plane as 8 vectors of codes {0,1,2}: v[k] holds elements 32k .. 32k+31. */
static inline void ptqtp_decode_base3(const uint8_t* qs, const uint8_t* qh, __m256i v[8]) {
  const __m256i a0 = _mm256_loadu_si256((const __m256i*)qs);
  const __m256i a1 = _mm256_add_epi8(a0, _mm256_add_epi8(a0, a0));  // * 3
  const __m256i a2 = ptqtp_mul9(a0);                                 // * 9
  const __m256i a3 = ptqtp_mul9(a1);                                 // * 27
  const __m256i a4 = ptqtp_mul9(a2);                                 // * 81
  v[0] = ptqtp_top_trit(a0);
  v[1] = ptqtp_top_trit(a1);
  v[2] = ptqtp_top_trit(a2);
  v[3] = ptqtp_top_trit(a3);
  v[4] = ptqtp_top_trit(a4);

  const __m128i b0 = _mm_loadu_si128((const __m128i*)(qs + 32));
  const __m128i b1 = _mm_add_epi8(b0, _mm_add_epi8(b0, b0));
  const __m128i b2 = ptqtp_mul9_128(b0);
  const __m128i b3 = ptqtp_mul9_128(b1);
  const __m128i b4 = ptqtp_mul9_128(b2);
  uint32_t h;
  memcpy(&h, qh, sizeof(h));
  __m256i h16 = _mm256_cvtepu8_epi16(_mm_set1_epi32((int)h));
  h16 = _mm256_mullo_epi16(h16,
                           _mm256_set_epi16(27, 27, 27, 27, 9, 9, 9, 9, 3, 3, 3, 3, 1, 1, 1, 1));
  h16 = _mm256_and_si256(h16, _mm256_set1_epi16(0xFF));
  const __m128i b5 =
      _mm_packus_epi16(_mm256_castsi256_si128(h16), _mm256_extracti128_si256(h16, 1));
  v[5] = ptqtp_top_trit(_mm256_set_m128i(b1, b0));
  v[6] = ptqtp_top_trit(_mm256_set_m128i(b3, b2));
  v[7] = ptqtp_top_trit(_mm256_set_m128i(b5, b4));
}

static void ptqtp1_dot_avx2(int n, float* s, const block_ptqtp1* x, const block_q8_K* y) {
  __m256 acc = _mm256_setzero_ps();
  for (int i = 0; i < n / PTQTP_QK; ++i) {
    float a[2][2];
    ptqtp_scales(x[i].d, y[i].d, a);
    __m256i yv[8];
    for (int k = 0; k < 8; ++k) {
      yv[k] = _mm256_loadu_si256((const __m256i*)(y[i].qs + 32 * k));
    }
    for (int p = 0; p < 2; ++p) {
      __m256i v[8];
      ptqtp_decode_base3(x[i].qs[p], x[i].qh[p], v);
      const __m256i s0 = ptqtp_group_dot(v[0], v[1], v[2], v[3], yv[0], yv[1], yv[2], yv[3]);
      const __m256i s1 = ptqtp_group_dot(v[4], v[5], v[6], v[7], yv[4], yv[5], yv[6], yv[7]);
      acc = ptqtp_fmadd(_mm256_cvtepi32_ps(s0), _mm256_set1_ps(a[0][p]), acc);
      acc = ptqtp_fmadd(_mm256_cvtepi32_ps(s1), _mm256_set1_ps(a[1][p]), acc);
    }
    acc = ptqtp_offset(acc, &y[i], a[0][0] + a[0][1], a[1][0] + a[1][1]);
  }
  *s = ptqtp_hsum8(acc);
}
