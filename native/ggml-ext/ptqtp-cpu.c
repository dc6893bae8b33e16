// PTQTP CPU kernels: fused dual-plane dot products against Q8_K activations.
// One pass per block: the activations are loaded once, both planes are accumulated per group,
// and each group's two scales are applied at the end. Codes are stored as t+1 in {0,1,2} so the
// x86 path can use unsigned-by-signed byte multiplies; the -1 offset is taken back with the
// activations' per-16 sums (Q8_K bsums), sum((c-1)y) = sum(cy) - sum(y). NEON works on signed
// trits directly. Builds without SIMD fall back to the scalar reference in ptqtp-quants.c.
#define GGML_COMMON_DECL_C
#include "ggml-common.h"

#include "ptqtp-cpu.h"
#include "ptqtp.h"

#include <string.h>

#if defined(__AVX2__)
#include "ptqtp-avx2.h"
#elif defined(__ARM_NEON) && defined(__aarch64__)
#include "ptqtp-neon.h"
#endif

void quantize_row_ptqtp1(const float* x, void* y, int64_t k) {
  quantize_row_ptqtp1_ref(x, (block_ptqtp1*)y, k);
}

void quantize_row_ptqtp2(const float* x, void* y, int64_t k) {
  quantize_row_ptqtp2_ref(x, (block_ptqtp2*)y, k);
}

const char* ptqtp_cpu_kernel_name(void) {
#if defined(__AVX2__) && PTQTP_VNNI
  return "avx2+vnni";
#elif defined(__AVX2__)
  return "avx2";
#elif defined(__ARM_NEON) && defined(__aarch64__)
#if defined(__ARM_FEATURE_DOTPROD)
  return "neon+dotprod";
#else
  return "neon";
#endif
#else
  return "scalar";
#endif
}

void ggml_vec_dot_ptqtp1_q8_K(int n, float* s, size_t bs, const void* vx, size_t bx,
                              const void* vy, size_t by, int nrc) {
  (void)bs;
  (void)bx;
  (void)by;
  (void)nrc;
#if defined(__AVX2__)
  ptqtp1_dot_avx2(n, s, (const block_ptqtp1*)vx, (const block_q8_K*)vy);
#elif defined(__ARM_NEON) && defined(__aarch64__)
  ptqtp1_dot_neon(n, s, (const block_ptqtp1*)vx, (const block_q8_K*)vy);
#else
  ptqtp1_vec_dot_q8_K_ref(n, s, vx, vy);
#endif
}

void ggml_vec_dot_ptqtp2_q8_K(int n, float* s, size_t bs, const void* vx, size_t bx,
                              const void* vy, size_t by, int nrc) {
  (void)bs;
  (void)bx;
  (void)by;
  (void)nrc;
#if defined(__AVX2__)
  ptqtp2_dot_avx2(n, s, (const block_ptqtp2*)vx, (const block_q8_K*)vy);
#elif defined(__ARM_NEON) && defined(__aarch64__)
  ptqtp2_dot_neon(n, s, (const block_ptqtp2*)vx, (const block_q8_K*)vy);
#else
  ptqtp2_vec_dot_q8_K_ref(n, s, vx, vy);
#endif
}
