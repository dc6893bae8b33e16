// XᵀX for one ubatch of activations, added into a double-precision Gram matrix: the calibration
// pass's inner loop. Our own kernel on our own (blocking) threads rather than a second ggml CPU
// backend, whose thread pool would spin-wait next to llama.cpp's on a machine with few cores;
// and only the upper triangle, half of a full product.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lowbit::gptq {

// x: n rows (tokens) of d floats, rows rowStride bytes apart. Adds the upper triangle
// (j >= i) of XᵀX into h (d×d, row-major). Returns false when a sum is not finite.
bool addGram(const float* x, int64_t n, int64_t d, size_t rowStride, double* h, int threads);

// Copies the upper triangle onto the lower one.
void mirrorUpper(double* h, int64_t d);

}  // namespace lowbit::gptq
