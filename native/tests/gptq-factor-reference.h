// The factorization as it was before the blocked one (dot-product reversed Cholesky, row-by-row
// triangular inverse), kept verbatim as the referee for native/tests/test-gptq-factor.cpp and
// native/tests/gptq-factor-speed.cpp. Returns U in double as well.
#pragma once

#include "inverseFactor.h"
#include "simd.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace lowbit::gptq {


namespace reference {

template <typename F>
void parallelFor(int64_t from, int64_t to, int threads, F&& body) {
  const int64_t n = to - from;
  if (threads <= 1 || n < 64) {
    for (int64_t i = from; i < to; ++i) {
      body(i);
    }
    return;
  }
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      // Interleaved rows: the work per row shrinks with its index.
      for (int64_t i = from + t; i < to; i += threads) {
        body(i);
      }
    });
  }
  for (auto& th : pool) {
    th.join();
  }
}

LOWBIT_SIMD_CLONES
inline double dot(const double* a, const double* b, int64_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t k = 0;
  for (; k + 4 <= n; k += 4) {
    s0 += a[k] * b[k];
    s1 += a[k + 1] * b[k + 1];
    s2 += a[k + 2] * b[k + 2];
    s3 += a[k + 3] * b[k + 3];
  }
  for (; k < n; ++k) {
    s0 += a[k] * b[k];
  }
  return (s0 + s1) + (s2 + s3);
}

// R (upper, row-major) with H = R Rᵀ, from the last column back; false on a non-positive pivot.
inline bool reversedCholesky(std::vector<double>& a, int64_t d, int threads) {
  // Column j of R is finished before any column left of it needs it: R[i][j] for i <= j uses
  // R[i][k] and R[j][k] for k > j only.
  for (int64_t j = d - 1; j >= 0; --j) {
    double* rj = &a[j * d];
    const double pivot = rj[j] - dot(rj + j + 1, rj + j + 1, d - j - 1);
    if (!(pivot > 0) || !std::isfinite(pivot)) {
      return false;
    }
    const double rjj = std::sqrt(pivot);
    rj[j] = rjj;
    parallelFor(0, j, j > 256 ? threads : 1, [&](int64_t i) {
      double* ri = &a[i * d];
      ri[j] = (ri[j] - dot(ri + j + 1, rj + j + 1, d - j - 1)) / rjj;
    });
  }
  return true;
}

// y[j] -= c * x[j] for j in [lo, hi).
LOWBIT_SIMD_CLONES
inline void axpyNeg(double c, const double* x, double* y, int64_t lo, int64_t hi) {
  for (int64_t j = lo; j < hi; ++j) {
    y[j] -= c * x[j];
  }
}

}  // namespace reference

inline bool referenceInverseFactor(const double* h, int64_t d, double dampRelative, int threads,
                                   InverseFactor& out, std::vector<double>& u, std::string& error) {
  out.d = d;
  out.dead.assign(d, 0);
  out.importance.resize(d);
  double meanDiag = 0;
  for (int64_t i = 0; i < d; ++i) {
    const double v = h[i * d + i];
    out.importance[i] = (float)v;
    if (v == 0) {
      out.dead[i] = 1;
    }
    meanDiag += v == 0 ? 1.0 : v;
  }
  meanDiag /= (double)d;
  std::vector<double> a((size_t)(d * d));
  double damp = dampRelative;
  for (out.raised = 0; out.raised < 8; ++out.raised, damp = damp == 0 ? 1e-6 : damp * 10) {
    if (damp > 1.0) {
      break;
    }
    out.lambda = damp * meanDiag;
    // Upper triangle of H + λI (the factorization reads only j >= i), dead inputs as 1.
    for (int64_t i = 0; i < d; ++i) {
      for (int64_t j = i; j < d; ++j) {
        a[i * d + j] = out.dead[i] || out.dead[j] ? (i == j ? 1.0 : 0.0) : h[i * d + j];
      }
      a[i * d + i] += out.lambda;
      for (int64_t j = 0; j < i; ++j) {
        a[i * d + j] = 0;
      }
    }
    if (reference::reversedCholesky(a, d, threads)) {
      break;
    }
  }
  if (out.raised == 8 || damp > 1.0) {
    error = "the calibration statistics of an input with " + std::to_string(d) +
            " columns are not positive definite even with damping equal to their mean";
    return false;
  }
  // U = R⁻¹ (upper): row i of U is (e_i − Σ_{k>i} R[i][k] U[k]) / R[i][i], rows from the last.
  u.assign((size_t)(d * d), 0.0);
  for (int64_t i = d - 1; i >= 0; --i) {
    const double* ri = &a[i * d];
    double* ui = &u[i * d];
    const double inv = 1.0 / ri[i];
    ui[i] = inv;
    // Split the columns of row i across threads: each column's sum is independent.
    const int64_t width = d - i - 1;
    const int n = width > 1024 ? threads : 1;
    std::vector<std::thread> pool;
    for (int t = 0; t < n; ++t) {
      pool.emplace_back([&, t] {
        const int64_t lo = i + 1 + width * t / n;
        const int64_t hi = i + 1 + width * (t + 1) / n;
        for (int64_t k = i + 1; k < hi; ++k) {
          const double c = ri[k];
          if (c == 0) {
            continue;
          }
          reference::axpyNeg(c, &u[k * d], ui, std::max(lo, k), hi);
        }
        for (int64_t j = lo; j < hi; ++j) {
          ui[j] *= inv;
        }
      });
    }
    for (auto& th : pool) {
      th.join();
    }
  }
  out.u.resize((size_t)(d * d));
  for (int64_t i = 0; i < d * d; ++i) {
    out.u[i] = (float)u[i];
  }
  return true;
}

}  // namespace lowbit::gptq
