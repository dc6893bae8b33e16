// Tests for Lowbit's PTQTP ggml types, in the style of llama.cpp's test-quantize-fns:
// layouts, pack/unpack, the solver, reconstruction error against single ternary planes, the
// optimized dot products against the scalar reference, ggml's own entry points and a GGUF
// round trip. Built and run by tests/native/ptqtp-c.test.ts against the patched llama.cpp.
// With -DPTQTP_STANDALONE (no ggml libraries: e.g. cross-compiled for ARM and run under qemu)
// only the kernel checks run.
#define GGML_COMMON_DECL_C
#include "ggml-common.h"

#include "ptqtp-cpu.h"
#include "ptqtp.h"

#ifndef PTQTP_STANDALONE
#include "ggml-cpu.h"
#include "gguf.h"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int g_passed = 0, g_failed = 0;

#define CHECK(cond, ...)                        \
  do {                                          \
    if (cond) {                                 \
      ++g_passed;                               \
    } else {                                    \
      ++g_failed;                               \
      printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      printf(__VA_ARGS__);                      \
      printf("\n");                             \
    }                                           \
  } while (0)

// Deterministic random numbers (xorshift) and Gaussian weights like a linear layer's.
static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static float uniform01(void) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return (float)((g_rng >> 40) + 0.5) / (float)(1ull << 24);
}
static float gaussian(void) {
  const float u = uniform01(), v = uniform01();
  return sqrtf(-2.0f * logf(u)) * cosf(6.2831853f * v);
}
static void fill_weights(float* x, int n, float scale) {
  for (int i = 0; i < n; ++i) {
    x[i] = scale * gaussian();
    if (uniform01() < 0.01f) {
      x[i] *= 6.0f;  // a few outliers, as trained weights have
    }
  }
}

// Q8_K activations, the way ggml quantizes them: d = max|x| / 127, bsums over 16.
static void quantize_q8_K(const float* x, block_q8_K* y, int n) {
  for (int i = 0; i < n / QK_K; ++i) {
    float amax = 0.0f, maxv = 0.0f;
    for (int j = 0; j < QK_K; ++j) {
      if (fabsf(x[j]) > amax) {
        amax = fabsf(x[j]);
        maxv = x[j];
      }
    }
    const float iscale = amax > 0 ? -127.0f / maxv : 0.0f;
    for (int j = 0; j < QK_K; ++j) {
      int v = (int)lrintf(iscale * x[j]);
      y[i].qs[j] = (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
    }
    for (int j = 0; j < QK_K / 16; ++j) {
      int sum = 0;
      for (int k = 0; k < 16; ++k) {
        sum += y[i].qs[16 * j + k];
      }
      y[i].bsums[j] = (int16_t)sum;
    }
    y[i].d = iscale != 0 ? 1.0f / iscale : 0.0f;
    x += QK_K;
  }
}

typedef void (*dot_fn)(int, float*, size_t, const void*, size_t, const void*, size_t, int);
typedef void (*ref_dot_fn)(int, float*, const void*, const void*);

// ---- layouts and packing ------------------------------------------------------------------------

static void test_pack_roundtrip(void) {
  int8_t t1[256], t2[256], u1[256], u2[256];
  float alpha[2][2] = {{0.5f, -0.25f}, {1.5f, 0.125f}}, back[2][2];
  for (int round = 0; round < 50; ++round) {
    for (int j = 0; j < 256; ++j) {
      t1[j] = (int8_t)((int)(uniform01() * 3) - 1);
      t2[j] = (int8_t)((int)(uniform01() * 3) - 1);
    }
    block_ptqtp1 b1;
    ptqtp1_pack_block(t1, t2, (const float(*)[2])alpha, &b1);
    ptqtp1_unpack_block(&b1, u1, u2, back);
    CHECK(memcmp(t1, u1, 256) == 0 && memcmp(t2, u2, 256) == 0, "ptqtp1 trits round trip");
    CHECK(memcmp(alpha, back, sizeof(alpha)) == 0, "ptqtp1 scales round trip");
    block_ptqtp2 b2;
    ptqtp2_pack_block(t1, t2, (const float(*)[2])alpha, &b2);
    ptqtp2_unpack_block(&b2, u1, u2, back);
    CHECK(memcmp(t1, u1, 256) == 0 && memcmp(t2, u2, 256) == 0, "ptqtp2 trits round trip");
  }
  CHECK(sizeof(block_ptqtp1) == 112 && sizeof(block_ptqtp2) == 136, "block sizes");
}

// ---- the solver ---------------------------------------------------------------------------------

static void test_grid(void) {
  ptqtp_grid g;
  ptqtp_grid_init(&g, 1.0f, 0.25f);  // levels 0, .75, 1, 1.25 (and 0.25)
  int8_t a, b;
  CHECK(ptqtp_grid_nearest(&g, 0.1f, &a, &b) == 0.0f && a == 0 && b == 0, "near zero");
  CHECK(ptqtp_grid_nearest(&g, 0.2f, &a, &b) == 0.25f && a == 0 && b == 1, "0.25 level");
  CHECK(ptqtp_grid_nearest(&g, -0.8f, &a, &b) == -0.75f && a == -1 && b == 1, "mirrored level");
  CHECK(ptqtp_grid_nearest(&g, 9.0f, &a, &b) == 1.25f && a == 1 && b == 1, "top level");
  CHECK(ptqtp_grid_nearest(&g, NAN, &a, &b) == 0.0f && a == 0 && b == 0, "NaN gives zero");
  ptqtp_grid_init(&g, 0.5f, 0.5f);  // duplicate levels keep the sparser tuple
  CHECK(ptqtp_grid_nearest(&g, 0.5f, &a, &b) == 0.5f && (a != 0) + (b != 0) == 1, "sparse tie");
}

static void test_solver(void) {
  enum { N = 128 };
  float w[N], imp[N];
  int8_t t1[N], t2[N], u1[N], u2[N];
  fill_weights(w, N, 0.02f);
  const ptqtp_params p = ptqtp_default_params();
  float alpha[2], again[2];
  const int iters = ptqtp_fit_group(w, NULL, N, &p, alpha, t1, t2);
  ptqtp_fit_group(w, NULL, N, &p, again, u1, u2);
  CHECK(iters >= 1 && iters <= p.max_iter, "iterations %d", iters);
  CHECK(memcmp(alpha, again, sizeof(alpha)) == 0 && memcmp(t1, u1, N) == 0, "deterministic");
  CHECK(alpha[0] == ptqtp_round_scale(alpha[0]) && alpha[1] == ptqtp_round_scale(alpha[1]),
        "scales are fp16 values");
  // The stored trits are nearest under the stored scales.
  const float err = ptqtp_round_group(w, N, alpha, u1, u2);
  CHECK(memcmp(t1, u1, N) == 0 && memcmp(t2, u2, N) == 0, "final assignment is nearest");
  // Better than the best single plane of one scale (TQ-style absmax ternary) by far.
  float amax = 0;
  for (int j = 0; j < N; ++j) {
    amax = fmaxf(amax, fabsf(w[j]));
  }
  float single = 0;
  for (int j = 0; j < N; ++j) {
    const float q = amax * (float)lroundf(w[j] / amax);
    single += (w[j] - q) * (w[j] - q);
  }
  CHECK(err < 0.25f * single, "dual plane error %g vs single plane %g", err, single);
  // Importance weights: the weighted error of a weighted fit beats the unweighted fit's.
  for (int j = 0; j < N; ++j) {
    imp[j] = j < 16 ? 100.0f : 1.0f;
  }
  float wa[2];
  ptqtp_fit_group(w, imp, N, &p, wa, u1, u2);
  double e_plain = 0, e_weighted = 0;
  for (int j = 0; j < N; ++j) {
    const float qp = alpha[0] * t1[j] + alpha[1] * t2[j];
    const float qw = wa[0] * u1[j] + wa[1] * u2[j];
    e_plain += imp[j] * (w[j] - qp) * (w[j] - qp);
    e_weighted += imp[j] * (w[j] - qw) * (w[j] - qw);
  }
  CHECK(e_weighted <= e_plain * 1.0001, "imatrix-weighted error %g vs %g", e_weighted, e_plain);
  // Degenerate groups: all zeros, and non-finite values.
  float z[N] = {0};
  ptqtp_fit_group(z, NULL, N, &p, wa, u1, u2);
  CHECK(wa[0] == 0 && wa[1] == 0 && u1[5] == 0 && u2[5] == 0, "zero group");
  w[3] = NAN;
  w[7] = INFINITY;
  ptqtp_fit_group(w, NULL, N, &p, wa, u1, u2);
  CHECK(isfinite(wa[0]) && isfinite(wa[1]) && u1[3] == 0 && u2[3] == 0 && u1[7] == 0,
        "non-finite weights stay out");
}

// ---- kernels against the reference --------------------------------------------------------------

typedef void (*unpack_fn)(const void*, int8_t*, int8_t*, float[PTQTP_NGROUPS][2]);

// The size of the terms a dot product sums: rounding error is relative to this, not to the
// (often much smaller) result.
static double dot_scale(const void* q, size_t block_bytes, unpack_fn unpack, const block_q8_K* y,
                        int n) {
  int8_t t1[256], t2[256];
  float alpha[PTQTP_NGROUPS][2];
  double s = 0;
  for (int i = 0; i < n / 256; ++i) {
    unpack((const char*)q + i * block_bytes, t1, t2, alpha);
    for (int j = 0; j < 256; ++j) {
      const int g = j / PTQTP_GROUP;
      s += fabs((double)y[i].d * y[i].qs[j]) * (fabs(alpha[g][0]) + fabs(alpha[g][1]));
    }
  }
  return s;
}

static void unpack1(const void* b, int8_t* t1, int8_t* t2, float a[PTQTP_NGROUPS][2]) {
  ptqtp1_unpack_block((const block_ptqtp1*)b, t1, t2, a);
}

static void unpack2(const void* b, int8_t* t1, int8_t* t2, float a[PTQTP_NGROUPS][2]) {
  ptqtp2_unpack_block((const block_ptqtp2*)b, t1, t2, a);
}

static void test_kernels(const char* name, size_t block_bytes, dot_fn dot, ref_dot_fn ref,
                         void (*quant)(const float*, void*, int64_t), unpack_fn unpack) {
  const int n = 4096;
  float* x = malloc(sizeof(float) * n);
  float* a = malloc(sizeof(float) * n);
  void* q = malloc(n / 256 * block_bytes);
  block_q8_K* y = malloc(sizeof(block_q8_K) * n / 256);
  double worst = 0;
  for (int round = 0; round < 20; ++round) {
    fill_weights(x, n, 0.02f + 0.01f * round);
    for (int i = 0; i < n; ++i) {
      a[i] = gaussian();
    }
    quant(x, q, n);
    quantize_q8_K(a, y, n);
    float s_opt = 0, s_ref = 0;
    dot(n, &s_opt, 0, q, 0, y, 0, 1);
    ref(n, &s_ref, q, y);
    const double rel = fabs((double)s_opt - s_ref) / dot_scale(q, block_bytes, unpack, y, n);
    if (rel > worst) {
      worst = rel;
    }
  }
  printf("  %s: %s kernel vs scalar reference, worst difference %.3g of the terms' size\n", name,
         ptqtp_cpu_kernel_name(), worst);
  CHECK(worst < 1e-6, "%s optimized dot differs from the reference by %g", name, worst);
  free(x);
  free(a);
  free(q);
  free(y);
}

#ifndef PTQTP_STANDALONE

// ---- ggml's own entry points --------------------------------------------------------------------

static double rmse(const float* a, const float* b, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) {
    s += (double)(a[i] - b[i]) * (a[i] - b[i]);
  }
  return sqrt(s / n);
}

static void test_traits(enum ggml_type type, const char* name, size_t block_bytes) {
  const struct ggml_type_traits* t = ggml_get_type_traits(type);
  const struct ggml_type_traits_cpu* c = ggml_get_type_traits_cpu(type);
  CHECK(strcmp(ggml_type_name(type), name) == 0, "type name %s", ggml_type_name(type));
  CHECK(ggml_blck_size(type) == 256 && ggml_type_size(type) == block_bytes, "%s sizes", name);
  CHECK(ggml_is_quantized(type) && t->to_float != NULL && t->from_float_ref != NULL,
        "%s traits", name);
  CHECK(c->vec_dot != NULL && c->from_float != NULL && c->vec_dot_type == GGML_TYPE_Q8_K,
        "%s CPU traits", name);

  // ggml_quantize_chunk (what llama-quantize calls), with and without an importance matrix.
  const int nrows = 8, ncols = 1024;
  float* x = malloc(sizeof(float) * nrows * ncols);
  float* back = malloc(sizeof(float) * nrows * ncols);
  float* imat = malloc(sizeof(float) * ncols);
  char* q = malloc(nrows * ncols / 256 * block_bytes);
  char* r = malloc(nrows * ncols / 256 * block_bytes);
  fill_weights(x, nrows * ncols, 0.03f);
  for (int j = 0; j < ncols; ++j) {
    imat[j] = 0.1f + uniform01();
  }
  const size_t bytes = ggml_quantize_chunk(type, x, q, 0, nrows, ncols, NULL);
  CHECK(bytes == (size_t)nrows * ncols / 256 * block_bytes, "%s chunk size", name);
  t->from_float_ref(x, r, (int64_t)nrows * ncols);
  CHECK(memcmp(q, r, bytes) == 0, "%s chunk equals the reference row quantizer", name);
  c->from_float(x, r, (int64_t)nrows * ncols);
  CHECK(memcmp(q, r, bytes) == 0, "%s CPU from_float equals the reference", name);
  CHECK(ggml_validate_row_data(type, q, bytes), "%s rows validate", name);
  t->to_float(q, back, (int64_t)nrows * ncols);
  const double e_plain = rmse(x, back, nrows * ncols);
  ggml_quantize_chunk(type, x, q, 0, nrows, ncols, imat);
  CHECK(ggml_validate_row_data(type, q, bytes), "%s imatrix rows validate", name);

  // Reconstruction error far below a single ternary plane on the same data.
  const enum ggml_type singles[2] = {GGML_TYPE_TQ1_0, GGML_TYPE_TQ2_0};
  for (int k = 0; k < 2; ++k) {
    const size_t sb = ggml_row_size(singles[k], ncols) * nrows;
    char* s = malloc(sb);
    ggml_quantize_chunk(singles[k], x, s, 0, nrows, ncols, NULL);
    ggml_get_type_traits(singles[k])->to_float(s, back, (int64_t)nrows * ncols);
    const double e_single = rmse(x, back, nrows * ncols);
    printf("  %s: RMSE %.5f vs %s %.5f (%.2fx lower)\n", name, e_plain,
           ggml_type_name(singles[k]), e_single, e_single / e_plain);
    CHECK(e_plain < 0.5 * e_single, "%s RMSE %g not far below %s %g", name, e_plain,
          ggml_type_name(singles[k]), e_single);
    free(s);
  }

  // Dot product error against the float dot product is bounded (as test-quantize-fns does).
  float* act = malloc(sizeof(float) * ncols);
  block_q8_K* y = malloc(sizeof(block_q8_K) * ncols / 256);
  for (int j = 0; j < ncols; ++j) {
    act[j] = gaussian();
  }
  ggml_get_type_traits_cpu(GGML_TYPE_Q8_K)->from_float(act, y, ncols);
  ggml_quantize_chunk(type, x, q, 0, 1, ncols, NULL);
  t->to_float(q, back, ncols);
  double exact = 0, norm = 0;
  for (int j = 0; j < ncols; ++j) {
    exact += (double)back[j] * act[j];
    norm += fabs((double)back[j] * act[j]);
  }
  float got = 0;
  c->vec_dot(ncols, &got, 0, q, 0, y, 0, 1);
  CHECK(fabs(got - exact) <= 0.02 * norm, "%s dot error %g (scale %g)", name,
        fabs(got - exact), norm);

  // Speed of the quantizer on one thread (printed; the benchmark measures it properly).
  const clock_t t0 = clock();
  int reps = 0;
  while (clock() - t0 < CLOCKS_PER_SEC / 5) {
    ggml_quantize_chunk(type, x, q, 0, nrows, ncols, NULL);
    ++reps;
  }
  const double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
  printf("  %s: quantizer %.1f M weights/s on one thread\n", name,
         reps * (double)nrows * ncols / secs / 1e6);
  free(x);
  free(back);
  free(imat);
  free(q);
  free(r);
  free(act);
  free(y);
}

static void test_gguf_roundtrip(const char* dir) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/ptqtp-roundtrip.gguf", dir);
  const int ncols = 512, nrows = 4;
  struct ggml_init_params ip = {16 * 1024 * 1024, NULL, false};
  struct ggml_context* ctx = ggml_init(ip);
  struct ggml_tensor* a = ggml_new_tensor_2d(ctx, GGML_TYPE_PTQTP1, ncols, nrows);
  struct ggml_tensor* b = ggml_new_tensor_2d(ctx, GGML_TYPE_PTQTP2, ncols, nrows);
  ggml_set_name(a, "blk.0.ffn_up.weight");
  ggml_set_name(b, "blk.0.ffn_down.weight");
  float* x = malloc(sizeof(float) * ncols * nrows);
  fill_weights(x, ncols * nrows, 0.02f);
  ggml_quantize_chunk(GGML_TYPE_PTQTP1, x, a->data, 0, nrows, ncols, NULL);
  ggml_quantize_chunk(GGML_TYPE_PTQTP2, x, b->data, 0, nrows, ncols, NULL);
  struct gguf_context* out = gguf_init_empty();
  gguf_set_val_u32(out, "general.file_type", PTQTP_LLAMA_FTYPE_PTQTP1);
  gguf_add_tensor(out, a);
  gguf_add_tensor(out, b);
  CHECK(gguf_write_to_file(out, path, false), "write %s", path);
  gguf_free(out);

  struct ggml_context* back = NULL;
  struct gguf_init_params gp = {false, &back};
  struct gguf_context* in = gguf_init_from_file(path, gp);
  CHECK(in != NULL, "read back %s", path);
  if (in != NULL) {
    struct ggml_tensor* ra = ggml_get_tensor(back, "blk.0.ffn_up.weight");
    struct ggml_tensor* rb = ggml_get_tensor(back, "blk.0.ffn_down.weight");
    CHECK(ra != NULL && ra->type == GGML_TYPE_PTQTP1 && ra->ne[0] == ncols, "ptqtp1 tensor");
    CHECK(rb != NULL && rb->type == GGML_TYPE_PTQTP2 && rb->ne[1] == nrows, "ptqtp2 tensor");
    if (ra != NULL && rb != NULL) {
      CHECK(memcmp(ra->data, a->data, ggml_nbytes(a)) == 0, "ptqtp1 bytes survive");
      CHECK(memcmp(rb->data, b->data, ggml_nbytes(b)) == 0, "ptqtp2 bytes survive");
    }
    gguf_free(in);
    ggml_free(back);
  }
  remove(path);
  free(x);
  ggml_free(ctx);
}

#endif

int main(int argc, char** argv) {
  test_pack_roundtrip();
  test_grid();
  test_solver();
  test_kernels("ptqtp1", sizeof(block_ptqtp1), ggml_vec_dot_ptqtp1_q8_K, ptqtp1_vec_dot_q8_K_ref,
               quantize_row_ptqtp1, unpack1);
  test_kernels("ptqtp2", sizeof(block_ptqtp2), ggml_vec_dot_ptqtp2_q8_K, ptqtp2_vec_dot_q8_K_ref,
               quantize_row_ptqtp2, unpack2);
#ifndef PTQTP_STANDALONE
  test_traits(GGML_TYPE_PTQTP1, "ptqtp1", sizeof(block_ptqtp1));
  test_traits(GGML_TYPE_PTQTP2, "ptqtp2", sizeof(block_ptqtp2));
  test_gguf_roundtrip(argc > 1 ? argv[1] : ".");
#else
  (void)argc;
  (void)argv;
#endif
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
