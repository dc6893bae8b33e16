// The compensation driver as it was before the blocked trailing update, kept verbatim as the
// referee for native/tests/test-gptq-compensate.cpp.
#pragma once

#include "compensate.h"
#include "simd.h"

#include <ggml.h>

#include <algorithm>
#include <thread>
#include <vector>

namespace lowbit::gptq {

namespace reference {

constexpr int64_t kTile = 8;

// y[k] -= c * x[k] for k in [0, n).
LOWBIT_SIMD_CLONES
inline void axpyNeg(float c, const float* x, float* y, int64_t n) {
  for (int64_t k = 0; k < n; ++k) {
    y[k] -= c * x[k];
  }
}

inline void runTile(const Grid& g, const InverseFactor& f, float* w, int64_t r0, int64_t r1, bool propagate,
             uint8_t* dst, float* deq) {
  const int64_t d = f.d;
  const int64_t bc = g.block_cols;
  const size_t rowBytes = ggml_row_size(g.type, d);
  const size_t blockBytes = ggml_row_size(g.type, bc);
  const float* u = f.u.data();
  const int64_t nr = r1 - r0;
  std::vector<uint8_t> params((size_t)(nr * g.params_size));
  std::vector<int32_t> levels((size_t)(nr * bc));
  std::vector<float> err((size_t)(nr * bc));
  std::vector<float> weights(bc);
  for (int64_t r = r0; r < r1; ++r) {
    float* row = w + r * d;
    for (int64_t c = 0; c < d; ++c) {
      if (f.dead[c]) {
        row[c] = 0;
      }
    }
  }
  for (int64_t b = 0; b < d; b += bc) {
    const int64_t end = b + bc;
    std::copy(f.importance.begin() + b, f.importance.begin() + end, weights.begin());
    for (int64_t r = r0; r < r1; ++r) {
      float* row = w + r * d;
      void* p = &params[(r - r0) * g.params_size];
      int32_t* lv = &levels[(r - r0) * bc];
      float* e = &err[(r - r0) * bc];
      for (int64_t c = b; c < end; ++c) {
        const int64_t j = c - b;
        if (j % g.fit_cols == 0) {
          g.fit(row + c, weights.data() + j, (int)(j / g.fit_cols), p);
        }
        const float q = g.round(p, (int)j, row[c], &lv[j]);
        if (deq != nullptr) {
          deq[r * d + c] = q;
        }
        if (!propagate) {
          continue;
        }
        const float* uc = u + c * d;
        const float ec = (row[c] - q) / uc[c];
        e[j] = ec;
        axpyNeg(ec, uc + c + 1, row + c + 1, end - c - 1);
      }
      g.encode(p, lv, dst + r * rowBytes + (b / bc) * blockBytes);
    }
    if (!propagate || end == d) {
      continue;
    }
    for (int64_t j = 0; j < bc; ++j) {
      const float* uj = u + (b + j) * d;
      for (int64_t r = r0; r < r1; ++r) {
        const float ej = err[(r - r0) * bc + j];
        if (ej == 0) {
          continue;
        }
        axpyNeg(ej, uj + end, w + r * d + end, d - end);
      }
    }
  }
}

}  // namespace reference

inline void referenceCompensate(const Grid& grid, const InverseFactor& factor, float* w, int64_t rows,
                const CompensateOptions& options, uint8_t* dst, float* dequantized) {
  const int threads = std::max(1, options.threads);
  const int64_t tiles = (rows + reference::kTile - 1) / reference::kTile;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int64_t tile = t; tile < tiles; tile += threads) {
        const int64_t r0 = tile * reference::kTile;
        reference::runTile(grid, factor, w, r0, std::min(rows, r0 + reference::kTile), options.propagate, dst,
                dequantized);
      }
    });
  }
  for (auto& th : pool) {
    th.join();
  }
}

}  // namespace lowbit::gptq
