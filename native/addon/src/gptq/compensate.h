// The compensation driver (docs/compression.md, "Calibrated quantization"): a weight matrix
// quantized column by column on a format's grid, each column's rounding error pushed onto the
// columns not yet quantized through the upper Cholesky factor of the damped inverse Gram matrix.
#pragma once

#include <cstdint>

#include "gptqGrid.h"
#include "inverseFactor.h"

namespace lowbit::gptq {

struct CompensateOptions {
  // false: round to nearest on the same grid (fits on the original weights, no propagation);
  // what compensation is measured against.
  bool propagate = true;
  int threads = 1;
};

// `w`: rows × cols weights, row-major, cols = factor.d, a multiple of grid.block_cols; consumed
// (it holds the error-updated weights afterwards). Writes rows × ggml_row_size(grid.type, cols)
// bytes to `dst` and, when `dequantized` is not null, the rounded values (rows × cols).
void compensate(const Grid& grid, const InverseFactor& factor, float* w, int64_t rows,
                const CompensateOptions& options, uint8_t* dst, float* dequantized);

// ‖(W − Q) X‖² = Σ_rows eᵀ H e with e = w − q: the layer-output error over the calibration
// tokens, from the undamped Gram matrix (row-major d×d).
double outputError(const float* w, const float* q, int64_t rows, const double* h, int64_t d,
                   int threads);

}  // namespace lowbit::gptq
