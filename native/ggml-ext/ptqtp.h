// Lowbit's PTQTP types for ggml: every group of PTQTP_GROUP weights is approximated as
// a1*T1 + a2*T2 with two ternary planes T1, T2 in {-1, 0, 1} and one fp16 scale per plane per
// group (PTQTP, arXiv 2509.16989). Two packings of the same planes, both in blocks of 256:
//
//   PTQTP1 (block_ptqtp1, 112 bytes, 3.5 bpw):  each plane packed base-3 like TQ1_0 (smallest)
//   PTQTP2 (block_ptqtp2, 136 bytes, 4.25 bpw): each plane as 2-bit codes like TQ2_0 (fastest)
//
// This header is the small public surface: block structs, the reference (de)quantizers ggml's
// type traits point at, and the solver pieces a caller (the GPTQ-style compensation in the
// addon) needs to fix a group's scales and then round weights one by one to that grid.
// See README.md for the type ids, the layouts and the solver.
#pragma once

#include "ggml.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PTQTP_QK 256
#define PTQTP_GROUP 128
#define PTQTP_NGROUPS (PTQTP_QK / PTQTP_GROUP)

// Ids in ggml's enum ggml_type and llama.cpp's enum llama_ftype (see README.md for why these).
#define PTQTP_GGML_TYPE_PTQTP1 96
#define PTQTP_GGML_TYPE_PTQTP2 97
#define PTQTP_LLAMA_FTYPE_PTQTP1 96
#define PTQTP_LLAMA_FTYPE_PTQTP2 97

#ifdef __cplusplus
#define PTQTP_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define PTQTP_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

// Base-3 planes. Plane p's trits t+1 in {0,1,2} use TQ1_0's order: qs[p][0..31] hold elements
// m + 32n (n = 0..4, 5 per byte), qs[p][32..47] elements 160 + m + 16n, qh[p][0..3] elements
// 240 + j + 4n (4 per byte); each byte is the base-3 number scaled by 256/243, rounded up.
typedef struct {
  uint8_t qs[2][48];
  uint8_t qh[2][4];
  uint16_t d[PTQTP_NGROUPS][2];  // fp16 scale of plane p in group g: d[g][p]
} block_ptqtp1;
PTQTP_STATIC_ASSERT(sizeof(block_ptqtp1) == 2 * 48 + 2 * 4 + PTQTP_NGROUPS * 2 * 2,
                    "wrong ptqtp1 block size/padding");

// 2-bit planes. Plane p's codes t+1 use TQ2_0's order: byte m of the 32-byte chunk c holds
// elements 128c + m + 32l at bits 2l (l = 0..3), so chunk c is exactly group c.
typedef struct {
  uint8_t qs[2][64];
  uint16_t d[PTQTP_NGROUPS][2];
} block_ptqtp2;
PTQTP_STATIC_ASSERT(sizeof(block_ptqtp2) == 2 * 64 + PTQTP_NGROUPS * 2 * 2,
                    "wrong ptqtp2 block size/padding");

// ---- The solver (any group length n) ----------------------------------------------------------

/** How the per-group fit stops. ptqtp_default_params() gives the values the types use. */
typedef struct {
  int max_iter;       // iteration cap (50)
  float tol;          // stop when both scales move less than tol * max|scale| (1e-4)
  float ridge_start;  // first ridge, relative to the Gram matrix's mean diagonal (1e-8)
  float ridge_max;    // largest ridge, same unit (1.0)
  float cond_max;     // grow the ridge while the Frobenius condition number exceeds this (1e6)
} ptqtp_params;

GGML_API ptqtp_params ptqtp_default_params(void);

/**
 * The nine levels a1*t1 + a2*t2 of one group, arranged for a nearest-level search: the
 * non-negative levels sorted (equal values keep the tuple with fewer non-zeros), the midpoints
 * between them, and the (t1, t2) of each. Negative inputs use the mirrored tuple.
 */
typedef struct {
  float a1, a2;
  float mid[4];  // unused midpoints are +INFINITY
  int8_t t1[5], t2[5];
} ptqtp_grid;

GGML_API void ptqtp_grid_init(ptqtp_grid* grid, float a1, float a2);

/** The nearest level to x (ties go to the smaller magnitude); non-finite x gives (0, 0). */
static inline float ptqtp_grid_nearest(const ptqtp_grid* g, float x, int8_t* t1, int8_t* t2) {
  const float ax = x < 0 ? -x : x;
  if (!(ax <= 3.4e38f)) {
    *t1 = 0;
    *t2 = 0;
    return 0.0f;
  }
  const int i = (ax > g->mid[0]) + (ax > g->mid[1]) + (ax > g->mid[2]) + (ax > g->mid[3]);
  const int8_t s = x < 0 ? -1 : 1;
  *t1 = (int8_t)(s * g->t1[i]);
  *t2 = (int8_t)(s * g->t2[i]);
  return g->a1 * *t1 + g->a2 * *t2;
}

/**
 * Fits one group: sign initialisation, then alternating closed-form 2x2 ridge least squares for
 * the scales (weighted by `importance` when not NULL) and a nearest-level trit assignment, until
 * the scales settle or params->max_iter. The scales are then rounded to fp16 (alpha gets the
 * rounded values) and the trits assigned once more against them. t1/t2 may be NULL.
 * Returns the number of iterations. Deterministic.
 */
GGML_API int ptqtp_fit_group(const float* w, const float* importance, int n,
                             const ptqtp_params* params, float alpha[2], int8_t* t1, int8_t* t2);

/** Assigns each weight its nearest level of the fixed scales alpha; returns the squared error. */
GGML_API float ptqtp_round_group(const float* w, int n, const float alpha[2], int8_t* t1,
                                 int8_t* t2);

/** Rounds a scale to what an fp16 field stores. */
GGML_API float ptqtp_round_scale(float a);

// ---- Packing: trits and (fp16-representable) scales into blocks -------------------------------

GGML_API void ptqtp1_pack_block(const int8_t* t1, const int8_t* t2,
                                const float alpha[PTQTP_NGROUPS][2], block_ptqtp1* out);
GGML_API void ptqtp2_pack_block(const int8_t* t1, const int8_t* t2,
                                const float alpha[PTQTP_NGROUPS][2], block_ptqtp2* out);
/** The trits of one block (256 each) and its scales, from either packing. */
GGML_API void ptqtp1_unpack_block(const block_ptqtp1* b, int8_t* t1, int8_t* t2,
                                  float alpha[PTQTP_NGROUPS][2]);
GGML_API void ptqtp2_unpack_block(const block_ptqtp2* b, int8_t* t1, int8_t* t2,
                                  float alpha[PTQTP_NGROUPS][2]);

// ---- ggml entry points (type traits and ggml_quantize_chunk) ----------------------------------

GGML_API void quantize_row_ptqtp1_ref(const float* x, block_ptqtp1* y, int64_t k);
GGML_API void quantize_row_ptqtp2_ref(const float* x, block_ptqtp2* y, int64_t k);
GGML_API void dequantize_row_ptqtp1(const block_ptqtp1* x, float* y, int64_t k);
GGML_API void dequantize_row_ptqtp2(const block_ptqtp2* x, float* y, int64_t k);
/** imatrix: one importance per column (n_per_row values), or NULL. */
GGML_API size_t quantize_ptqtp1(const float* src, void* dst, int64_t nrows, int64_t n_per_row,
                                const float* imatrix);
GGML_API size_t quantize_ptqtp2(const float* src, void* dst, int64_t nrows, int64_t n_per_row,
                                const float* imatrix);
/** False when a scale is not finite (ggml_validate_row_data). */
GGML_API bool ptqtp1_validate_row(const void* data, size_t nbytes);
GGML_API bool ptqtp2_validate_row(const void* data, size_t nbytes);

/** Scalar reference dot products against Q8_K activations (n a multiple of 256). */
GGML_API void ptqtp1_vec_dot_q8_K_ref(int n, float* s, const void* vx, const void* vy);
GGML_API void ptqtp2_vec_dot_q8_K_ref(int n, float* s, const void* vx, const void* vy);

#ifdef __cplusplus
}
#endif
