// Rows are independent given U, so threads take tiles of rows. Within a tile, a block of
// block_cols columns is quantized column by column with the in-block updates applied at once
// (they feed the next column's rounding and the block's later fits); the block's errors E then
// update every later column in one pass, W[:, end:] −= E · U[block, end:] (GPTQ's lazy batch):
// 8 rows × 8 columns of W held in registers through the block's columns, each row of U loaded
// once per 8 rows and kept in L1 for the tile's other rows. Each weight still gets the block's
// updates one by one in column order, so the result is the same to the bit as one axpy a column.
#include "compensate.h"
#include "simd.h"

#include <ggml.h>

#include <algorithm>
#include <thread>
#include <vector>

namespace lowbit::gptq {

namespace {

constexpr int64_t kTile = 32;

// y[k] -= c * x[k] for k in [0, n).
LOWBIT_SIMD_CLONES
void axpyNeg(float c, const float* x, float* y, int64_t n) {
  for (int64_t k = 0; k < n; ++k) {
    y[k] -= c * x[k];
  }
}

typedef float v8 __attribute__((vector_size(32), aligned(4)));

// W[r][c] −= Σ_j E[r][j] · U[j][c] for r < nr, c < cols, j < bc, the terms subtracted in order
// of j (W: leading dimension ldw; E: nr × bc; U: leading dimension ldu).
LOWBIT_SIMD_CLONES
void trailingUpdate(float* w, int64_t ldw, const float* e, int64_t bc, const float* u,
                    int64_t ldu, int64_t nr, int64_t cols) {
  const int64_t nr8 = nr & ~(int64_t)7, cols8 = cols & ~(int64_t)7;
  for (int64_t c = 0; c < cols8; c += 8) {
    for (int64_t r = 0; r < nr8; r += 8) {
      float* w0 = w + r * ldw + c;
      const float* e0 = e + r * bc;
      v8 a0 = *(v8*)w0, a1 = *(v8*)(w0 + ldw), a2 = *(v8*)(w0 + 2 * ldw),
         a3 = *(v8*)(w0 + 3 * ldw), a4 = *(v8*)(w0 + 4 * ldw), a5 = *(v8*)(w0 + 5 * ldw),
         a6 = *(v8*)(w0 + 6 * ldw), a7 = *(v8*)(w0 + 7 * ldw);
      for (int64_t j = 0; j < bc; ++j) {
        const v8 uj = *(const v8*)(u + j * ldu + c);
        a0 -= e0[j] * uj;
        a1 -= e0[bc + j] * uj;
        a2 -= e0[2 * bc + j] * uj;
        a3 -= e0[3 * bc + j] * uj;
        a4 -= e0[4 * bc + j] * uj;
        a5 -= e0[5 * bc + j] * uj;
        a6 -= e0[6 * bc + j] * uj;
        a7 -= e0[7 * bc + j] * uj;
      }
      *(v8*)w0 = a0;
      *(v8*)(w0 + ldw) = a1;
      *(v8*)(w0 + 2 * ldw) = a2;
      *(v8*)(w0 + 3 * ldw) = a3;
      *(v8*)(w0 + 4 * ldw) = a4;
      *(v8*)(w0 + 5 * ldw) = a5;
      *(v8*)(w0 + 6 * ldw) = a6;
      *(v8*)(w0 + 7 * ldw) = a7;
    }
  }
  // The edges: rows from nr8 (all columns) and columns from cols8 (rows below nr8).
  for (int64_t r = 0; r < nr; ++r) {
    float* wr = w + r * ldw;
    for (int64_t j = 0; j < bc; ++j) {
      const float ej = e[r * bc + j];
      const float* uj = u + j * ldu;
      for (int64_t c = r < nr8 ? cols8 : 0; c < cols; ++c) {
        wr[c] -= ej * uj[c];
      }
    }
  }
}

void runTile(const Grid& g, const InverseFactor& f, float* w, int64_t r0, int64_t r1, bool propagate,
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
    trailingUpdate(w + r0 * d + end, d, err.data(), bc, u + b * d + end, d, nr, d - end);
  }
}

}  // namespace

void compensate(const Grid& grid, const InverseFactor& factor, float* w, int64_t rows,
                const CompensateOptions& options, uint8_t* dst, float* dequantized) {
  const int threads = std::max(1, options.threads);
  const int64_t tiles = (rows + kTile - 1) / kTile;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int64_t tile = t; tile < tiles; tile += threads) {
        const int64_t r0 = tile * kTile;
        runTile(grid, factor, w, r0, std::min(rows, r0 + kTile), options.propagate, dst,
                dequantized);
      }
    });
  }
  for (auto& th : pool) {
    th.join();
  }
}

double outputError(const float* w, const float* q, int64_t rows, const double* h, int64_t d,
                   int threads) {
  threads = std::max(1, threads);
  std::vector<double> partial(threads, 0.0);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::vector<double> e(d), he(d);
      for (int64_t r = t; r < rows; r += threads) {
        for (int64_t c = 0; c < d; ++c) {
          e[c] = (double)w[r * d + c] - (double)q[r * d + c];
        }
        double s = 0;
        for (int64_t i = 0; i < d; ++i) {
          const double* hi = h + i * d;
          double acc = 0;
          for (int64_t c = 0; c < d; ++c) {
            acc += hi[c] * e[c];
          }
          s += e[i] * acc;
        }
        partial[t] += s;
      }
    });
  }
  for (auto& th : pool) {
    th.join();
  }
  double total = 0;
  for (double v : partial) {
    total += v;
  }
  return total;
}

}  // namespace lowbit::gptq
