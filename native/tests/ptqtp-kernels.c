// Kernel speed (bench/ptqtp-kernels.ts): each type's CPU vec_dot over a weight matrix larger than
// the caches, one row at a time against one Q8_K/Q8_0 activation row, one thread — what ggml's
// mul_mat does per row at decode time. Prints GB/s of weights streamed and weights per ns.
#include "ggml-cpu.h"
#include "ggml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
  const int ncol = 2048, nrow = 5632 * 4, reps = argc > 1 ? atoi(argv[1]) : 9;
  const enum ggml_type types[] = {GGML_TYPE_Q4_K,  GGML_TYPE_Q3_K,   GGML_TYPE_TQ2_0,
                                  GGML_TYPE_TQ1_0, GGML_TYPE_PTQTP2, GGML_TYPE_PTQTP1};
  float* w = malloc(sizeof(float) * ncol * 256);
  float* a = malloc(sizeof(float) * ncol);
  srand(1);
  for (int i = 0; i < ncol * 256; ++i) {
    w[i] = ((float)rand() / RAND_MAX - 0.5f) * 0.05f;
  }
  for (int i = 0; i < ncol; ++i) {
    a[i] = (float)rand() / RAND_MAX - 0.5f;
  }
  printf("| Type | bpw | matrix MB | best ms | GB/s | weights/ns |\n|---|---|---|---|---|---|\n");
  for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); ++k) {
    const enum ggml_type t = types[k];
    const size_t rs = ggml_row_size(t, ncol);
    char* q = malloc(rs * nrow);
    ggml_quantize_chunk(t, w, q, 0, 256, ncol, NULL);
    for (int r = 256; r < nrow; r += 256) {
      memcpy(q + (size_t)r * rs, q, rs * 256);
    }
    const struct ggml_type_traits_cpu* c = ggml_get_type_traits_cpu(t);
    char* y = malloc(ggml_row_size(c->vec_dot_type, ncol));
    ggml_get_type_traits_cpu(c->vec_dot_type)->from_float(a, y, ncol);
    double best = 1e9;
    volatile float sink = 0;
    for (int rep = 0; rep < reps; ++rep) {
      const double t0 = now();
      for (int r = 0; r < nrow; ++r) {
        float s;
        c->vec_dot(ncol, &s, 0, q + (size_t)r * rs, 0, y, 0, 1);
        sink += s;
      }
      const double dt = now() - t0;
      best = dt < best ? dt : best;
    }
    printf("| %s | %.4g | %.1f | %.2f | %.1f | %.1f |\n", ggml_type_name(t), 8.0 * rs / ncol,
           rs * (double)nrow / 1e6, best * 1e3, rs * (double)nrow / best / 1e9,
           (double)nrow * ncol / best / 1e9);
    free(q);
    free(y);
  }
  free(w);
  free(a);
  return 0;
}
