// The contract between the GPTQ-style compensation driver and each quantization format.
//
// Compensation needs three things from a format, per row of a weight matrix and per block of
// consecutive input columns: fit the block's parameters (scales, mins) on the current,
// error-updated weights with the format's own search; round one column's value to that fixed
// grid; and encode the rounded block in the format's standard bytes, so the file loads in any
// runtime that knows the type. One grid per ggml type; the driver never looks inside params.
#pragma once

#include "ggml.h"

#include <cstddef>
#include <cstdint>

namespace lowbit::gptq {

struct Grid {
  enum ggml_type type;
  // Columns one encoded block covers (QK_K = 256 for k-quants and PTQTP).
  int block_cols;
  // Columns fitted together: fit() runs at every multiple of fit_cols inside a block, on the
  // weights as they are then (PTQTP: 128, its group; k-quants: 256, their super-block).
  int fit_cols;
  // Bytes of the per-row state for one block (all of its fits).
  size_t params_size;

  // Fits columns [sub * fit_cols, (sub + 1) * fit_cols) of one row's block from x (those
  // fit_cols values) and their importance w (one per column, may be nullptr), into params.
  void (*fit)(const float* x, const float* w, int sub, void* params);
  // Column j (0 <= j < block_cols) of the block rounded to its fitted grid: returns the value
  // and stores what encode() needs for it in *level.
  float (*round)(const void* params, int j, float x, int32_t* level);
  // Writes the block in the type's standard layout (ggml_row_size(type, block_cols) bytes).
  void (*encode)(const void* params, const int32_t* levels, void* dst);
};

// The grid for a type, or nullptr when compensation does not apply to it (F16, Q8_0, ...).
const Grid* gridFor(enum ggml_type type);

}  // namespace lowbit::gptq
