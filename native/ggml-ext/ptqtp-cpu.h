// PTQTP CPU kernels (ggml-cpu): row quantizers for the CPU type traits and the dot products
// against Q8_K activations that ggml's mul_mat uses.
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void quantize_row_ptqtp1(const float* x, void* y, int64_t k);
void quantize_row_ptqtp2(const float* x, void* y, int64_t k);

void ggml_vec_dot_ptqtp1_q8_K(int n, float* s, size_t bs, const void* vx, size_t bx,
                              const void* vy, size_t by, int nrc);
void ggml_vec_dot_ptqtp2_q8_K(int n, float* s, size_t bs, const void* vx, size_t bx,
                              const void* vy, size_t by, int nrc);

/** Which kernel the dot products use in this build: "avx2", "avx2+vnni", "neon", "scalar". */
const char* ptqtp_cpu_kernel_name(void);

#ifdef __cplusplus
}
#endif
