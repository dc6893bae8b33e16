// PTQTP reference code: packing, (de)quantization rows, validation and scalar dot products.
// Compiled into ggml-base (the type traits point here); the CPU kernels live in ptqtp-cpu.c.
#define GGML_COMMON_DECL_C
#include "ggml-common.h"

#include "ptqtp.h"

#include <assert.h>
#include <math.h>
#include <string.h>

static const uint8_t k_pow3[6] = {1, 3, 9, 27, 81, 243};

static inline uint8_t pack5(uint8_t q) {
  // ceiling division (243 == 3^5): the byte's top bits then read back trit by trit
  return (uint8_t)(((uint16_t)q * 256 + (243 - 1)) / 243);
}

static inline int8_t trit_at(uint8_t byte, int n) {
  const uint8_t q = (uint8_t)(byte * k_pow3[n]);
  return (int8_t)((((uint16_t)q * 3) >> 8) - 1);
}

static void pack_base3_plane(const int8_t* t, uint8_t qs[48], uint8_t qh[4]) {
  for (int m = 0; m < 32; ++m) {
    uint8_t q = 0;
    for (int n = 0; n < 5; ++n) {
      q = (uint8_t)(q * 3 + (t[m + 32 * n] + 1));
    }
    qs[m] = pack5(q);
  }
  for (int m = 0; m < 16; ++m) {
    uint8_t q = 0;
    for (int n = 0; n < 5; ++n) {
      q = (uint8_t)(q * 3 + (t[160 + m + 16 * n] + 1));
    }
    qs[32 + m] = pack5(q);
  }
  for (int j = 0; j < 4; ++j) {
    uint8_t q = 0;
    for (int n = 0; n < 4; ++n) {
      q = (uint8_t)(q * 3 + (t[240 + j + 4 * n] + 1));
    }
    qh[j] = pack5((uint8_t)(q * 3));  // the first trit goes to the most significant place
  }
}

static void unpack_base3_plane(const uint8_t qs[48], const uint8_t qh[4], int8_t* t) {
  for (int n = 0; n < 5; ++n) {
    for (int m = 0; m < 32; ++m) {
      t[32 * n + m] = trit_at(qs[m], n);
    }
  }
  for (int n = 0; n < 5; ++n) {
    for (int m = 0; m < 16; ++m) {
      t[160 + 16 * n + m] = trit_at(qs[32 + m], n);
    }
  }
  for (int n = 0; n < 4; ++n) {
    for (int j = 0; j < 4; ++j) {
      t[240 + 4 * n + j] = trit_at(qh[j], n);
    }
  }
}

static void pack_2bit_plane(const int8_t* t, uint8_t qs[64]) {
  for (int c = 0; c < 2; ++c) {
    for (int m = 0; m < 32; ++m) {
      uint8_t q = 0;
      for (int l = 0; l < 4; ++l) {
        q |= (uint8_t)((t[128 * c + 32 * l + m] + 1) << (2 * l));
      }
      qs[32 * c + m] = q;
    }
  }
}

static void unpack_2bit_plane(const uint8_t qs[64], int8_t* t) {
  for (int c = 0; c < 2; ++c) {
    for (int l = 0; l < 4; ++l) {
      for (int m = 0; m < 32; ++m) {
        t[128 * c + 32 * l + m] = (int8_t)(((qs[32 * c + m] >> (2 * l)) & 3) - 1);
      }
    }
  }
}

static void put_scales(const float alpha[PTQTP_NGROUPS][2], uint16_t d[PTQTP_NGROUPS][2]) {
  for (int g = 0; g < PTQTP_NGROUPS; ++g) {
    d[g][0] = ggml_fp32_to_fp16(alpha[g][0]);
    d[g][1] = ggml_fp32_to_fp16(alpha[g][1]);
  }
}

static void get_scales(const uint16_t d[PTQTP_NGROUPS][2], float alpha[PTQTP_NGROUPS][2]) {
  for (int g = 0; g < PTQTP_NGROUPS; ++g) {
    alpha[g][0] = ggml_fp16_to_fp32(d[g][0]);
    alpha[g][1] = ggml_fp16_to_fp32(d[g][1]);
  }
}

void ptqtp1_pack_block(const int8_t* t1, const int8_t* t2, const float alpha[PTQTP_NGROUPS][2],
                       block_ptqtp1* out) {
  pack_base3_plane(t1, out->qs[0], out->qh[0]);
  pack_base3_plane(t2, out->qs[1], out->qh[1]);
  put_scales(alpha, out->d);
}

void ptqtp2_pack_block(const int8_t* t1, const int8_t* t2, const float alpha[PTQTP_NGROUPS][2],
                       block_ptqtp2* out) {
  pack_2bit_plane(t1, out->qs[0]);
  pack_2bit_plane(t2, out->qs[1]);
  put_scales(alpha, out->d);
}

void ptqtp1_unpack_block(const block_ptqtp1* b, int8_t* t1, int8_t* t2,
                         float alpha[PTQTP_NGROUPS][2]) {
  unpack_base3_plane(b->qs[0], b->qh[0], t1);
  unpack_base3_plane(b->qs[1], b->qh[1], t2);
  get_scales(b->d, alpha);
}

void ptqtp2_unpack_block(const block_ptqtp2* b, int8_t* t1, int8_t* t2,
                         float alpha[PTQTP_NGROUPS][2]) {
  unpack_2bit_plane(b->qs[0], t1);
  unpack_2bit_plane(b->qs[1], t2);
  get_scales(b->d, alpha);
}

// One block of 256 weights: fit every group, then pack.
typedef void (*pack_fn)(const int8_t*, const int8_t*, const float[PTQTP_NGROUPS][2], void*);

static void quantize_blocks(const float* x, void* y, size_t block_bytes, int64_t k,
                            const float* importance, pack_fn pack) {
  assert(k % PTQTP_QK == 0);
  const ptqtp_params params = ptqtp_default_params();
  int8_t t1[PTQTP_QK], t2[PTQTP_QK];
  float alpha[PTQTP_NGROUPS][2];
  for (int64_t i = 0; i < k / PTQTP_QK; ++i) {
    const float* xb = x + i * PTQTP_QK;
    for (int g = 0; g < PTQTP_NGROUPS; ++g) {
      const int at = g * PTQTP_GROUP;
      ptqtp_fit_group(xb + at, importance == NULL ? NULL : importance + i * PTQTP_QK + at,
                      PTQTP_GROUP, &params, alpha[g], t1 + at, t2 + at);
    }
    pack(t1, t2, (const float(*)[2])alpha, (char*)y + i * block_bytes);
  }
}

static void pack1(const int8_t* t1, const int8_t* t2, const float a[PTQTP_NGROUPS][2], void* b) {
  ptqtp1_pack_block(t1, t2, a, (block_ptqtp1*)b);
}

static void pack2(const int8_t* t1, const int8_t* t2, const float a[PTQTP_NGROUPS][2], void* b) {
  ptqtp2_pack_block(t1, t2, a, (block_ptqtp2*)b);
}

void quantize_row_ptqtp1_ref(const float* x, block_ptqtp1* y, int64_t k) {
  quantize_blocks(x, y, sizeof(block_ptqtp1), k, NULL, pack1);
}

void quantize_row_ptqtp2_ref(const float* x, block_ptqtp2* y, int64_t k) {
  quantize_blocks(x, y, sizeof(block_ptqtp2), k, NULL, pack2);
}

static size_t quantize_rows(const float* src, void* dst, int64_t nrows, int64_t n_per_row,
                            const float* imatrix, size_t block_bytes, pack_fn pack) {
  const size_t row_size = (size_t)(n_per_row / PTQTP_QK) * block_bytes;
  for (int64_t r = 0; r < nrows; ++r) {
    quantize_blocks(src + r * n_per_row, (char*)dst + r * row_size, block_bytes, n_per_row,
                    imatrix, pack);
  }
  return (size_t)nrows * row_size;
}

size_t quantize_ptqtp1(const float* src, void* dst, int64_t nrows, int64_t n_per_row,
                       const float* imatrix) {
  return quantize_rows(src, dst, nrows, n_per_row, imatrix, sizeof(block_ptqtp1), pack1);
}

size_t quantize_ptqtp2(const float* src, void* dst, int64_t nrows, int64_t n_per_row,
                       const float* imatrix) {
  return quantize_rows(src, dst, nrows, n_per_row, imatrix, sizeof(block_ptqtp2), pack2);
}

static void dequantize_trits(const int8_t* t1, const int8_t* t2,
                             const float alpha[PTQTP_NGROUPS][2], float* y) {
  for (int j = 0; j < PTQTP_QK; ++j) {
    const int g = j / PTQTP_GROUP;
    y[j] = alpha[g][0] * t1[j] + alpha[g][1] * t2[j];
  }
}

void dequantize_row_ptqtp1(const block_ptqtp1* x, float* y, int64_t k) {
  assert(k % PTQTP_QK == 0);
  int8_t t1[PTQTP_QK], t2[PTQTP_QK];
  float alpha[PTQTP_NGROUPS][2];
  for (int64_t i = 0; i < k / PTQTP_QK; ++i) {
    ptqtp1_unpack_block(&x[i], t1, t2, alpha);
    dequantize_trits(t1, t2, (const float(*)[2])alpha, y + i * PTQTP_QK);
  }
}

void dequantize_row_ptqtp2(const block_ptqtp2* x, float* y, int64_t k) {
  assert(k % PTQTP_QK == 0);
  int8_t t1[PTQTP_QK], t2[PTQTP_QK];
  float alpha[PTQTP_NGROUPS][2];
  for (int64_t i = 0; i < k / PTQTP_QK; ++i) {
    ptqtp2_unpack_block(&x[i], t1, t2, alpha);
    dequantize_trits(t1, t2, (const float(*)[2])alpha, y + i * PTQTP_QK);
  }
}

static bool scales_finite(const uint16_t d[PTQTP_NGROUPS][2]) {
  for (int g = 0; g < PTQTP_NGROUPS; ++g) {
    for (int p = 0; p < 2; ++p) {
      if (!isfinite(ggml_fp16_to_fp32(d[g][p]))) {
        return false;
      }
    }
  }
  return true;
}

bool ptqtp1_validate_row(const void* data, size_t nbytes) {
  const block_ptqtp1* b = (const block_ptqtp1*)data;
  for (size_t i = 0; i < nbytes / sizeof(block_ptqtp1); ++i) {
    if (!scales_finite(b[i].d)) {
      return false;
    }
  }
  return true;
}

bool ptqtp2_validate_row(const void* data, size_t nbytes) {
  const block_ptqtp2* b = (const block_ptqtp2*)data;
  for (size_t i = 0; i < nbytes / sizeof(block_ptqtp2); ++i) {
    if (!scales_finite(b[i].d)) {
      return false;
    }
  }
  return true;
}

// The reference the SIMD kernels are tested against: exact integer sums per group and plane,
// then d_y * (a1 * S1 + a2 * S2) per group, in block order.
static float dot_trits(const int8_t* t1, const int8_t* t2, const float alpha[PTQTP_NGROUPS][2],
                       const block_q8_K* y) {
  float sum = 0.0f;
  for (int g = 0; g < PTQTP_NGROUPS; ++g) {
    int32_t s1 = 0, s2 = 0;
    for (int j = g * PTQTP_GROUP; j < (g + 1) * PTQTP_GROUP; ++j) {
      s1 += t1[j] * y->qs[j];
      s2 += t2[j] * y->qs[j];
    }
    sum += y->d * (alpha[g][0] * (float)s1 + alpha[g][1] * (float)s2);
  }
  return sum;
}

void ptqtp1_vec_dot_q8_K_ref(int n, float* s, const void* vx, const void* vy) {
  const block_ptqtp1* x = (const block_ptqtp1*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  int8_t t1[PTQTP_QK], t2[PTQTP_QK];
  float alpha[PTQTP_NGROUPS][2];
  float sum = 0.0f;
  for (int i = 0; i < n / PTQTP_QK; ++i) {
    ptqtp1_unpack_block(&x[i], t1, t2, alpha);
    sum += dot_trits(t1, t2, (const float(*)[2])alpha, &y[i]);
  }
  *s = sum;
}

void ptqtp2_vec_dot_q8_K_ref(int n, float* s, const void* vx, const void* vy) {
  const block_ptqtp2* x = (const block_ptqtp2*)vx;
  const block_q8_K* y = (const block_q8_K*)vy;
  int8_t t1[PTQTP_QK], t2[PTQTP_QK];
  float alpha[PTQTP_NGROUPS][2];
  float sum = 0.0f;
  for (int i = 0; i < n / PTQTP_QK; ++i) {
    ptqtp2_unpack_block(&x[i], t1, t2, alpha);
    sum += dot_trits(t1, t2, (const float(*)[2])alpha, &y[i]);
  }
  *s = sum;
}
