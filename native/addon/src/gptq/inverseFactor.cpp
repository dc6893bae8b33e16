// H = R Rᵀ with R upper triangular, so H⁻¹ = R⁻ᵀ R⁻¹ and the upper Cholesky factor of H⁻¹ is
// U = R⁻¹: one factorization and one triangular inverse (⅔ d³). With the index order reversed
// (G = P H P, P the reversal) R = P L P for the ordinary lower Cholesky factor L of G, and
// U = P L⁻¹ P, so both steps are the textbook blocked ones: a right-looking Cholesky in
// kPanel-wide panels and a block-row inverse. Nearly all the work is C −= A·B on 64×64 tiles
// (cache-tiled, register-blocked, tiles split across threads).
#include "inverseFactor.h"
#include "simd.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

namespace lowbit::gptq {

namespace {

constexpr int64_t kPanel = 64;
constexpr int64_t kTile = 64;

// Runs body(task) for task in [0, n) on up to `threads` threads, tasks handed out in order.
template <typename F>
void parallelTasks(int64_t n, int threads, F&& body) {
  if (threads <= 1 || n < 2) {
    for (int64_t t = 0; t < n; ++t) {
      body(t);
    }
    return;
  }
  std::atomic<int64_t> next{0};
  auto worker = [&] {
    for (int64_t t = next++; t < n; t = next++) {
      body(t);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::min<int64_t>(threads, n); ++t) {
    pool.emplace_back(worker);
  }
  worker();
  for (auto& th : pool) {
    th.join();
  }
}

LOWBIT_SIMD_CLONES
double dot(const double* a, const double* b, int64_t n) {
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

// Four doubles, unaligned loads allowed; lowered to two SSE halves where AVX is not there.
typedef double v4 __attribute__((vector_size(32), aligned(8)));

// C[i][j] −= Σ_k A[i][k] · B[k][j] for i < m, j < n, k < kk (row-major, leading dimensions
// given): 4×8 blocks of C held in registers over a chunk of k, so each step is two loads of B,
// four broadcasts of A and eight fused multiply-adds. B's rows lie a whole matrix row apart
// (a page each at d = 2048), so each chunk of B is first packed into 8-column strips.
LOWBIT_SIMD_CLONES
void tileSub(double* c, int64_t ldc, const double* a, int64_t lda, const double* b, int64_t ldb,
             int64_t m, int64_t n, int64_t kk) {
  constexpr int64_t kChunk = 256;
  thread_local std::vector<double> packed;
  const int64_t m4 = m & ~(int64_t)3, n8 = n & ~(int64_t)7;
  packed.resize((size_t)(kChunk * n8));
  for (int64_t k0 = 0; k0 < kk; k0 += kChunk) {
    const int64_t kc = std::min(kChunk, kk - k0);
    for (int64_t k = 0; k < kc; ++k) {
      const double* bk = b + (k0 + k) * ldb;
      for (int64_t j = 0; j < n8; ++j) {
        packed[(j >> 3) * kc * 8 + k * 8 + (j & 7)] = bk[j];
      }
    }
    for (int64_t i = 0; i < m4; i += 4) {
      const double* a0 = a + i * lda + k0;
      for (int64_t j = 0; j < n8; j += 8) {
        v4 s00 = {0, 0, 0, 0}, s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00,
           s30 = s00, s31 = s00;
        const double* bp = packed.data() + (j >> 3) * kc * 8;
        for (int64_t k = 0; k < kc; ++k) {
          const v4 b0 = *(const v4*)(bp + k * 8);
          const v4 b1 = *(const v4*)(bp + k * 8 + 4);
          const double x0 = a0[k], x1 = a0[lda + k], x2 = a0[2 * lda + k],
                       x3 = a0[3 * lda + k];
          s00 += x0 * b0;
          s01 += x0 * b1;
          s10 += x1 * b0;
          s11 += x1 * b1;
          s20 += x2 * b0;
          s21 += x2 * b1;
          s30 += x3 * b0;
          s31 += x3 * b1;
        }
        double* c0 = c + i * ldc + j;
        *(v4*)c0 -= s00;
        *(v4*)(c0 + 4) -= s01;
        *(v4*)(c0 + ldc) -= s10;
        *(v4*)(c0 + ldc + 4) -= s11;
        *(v4*)(c0 + 2 * ldc) -= s20;
        *(v4*)(c0 + 2 * ldc + 4) -= s21;
        *(v4*)(c0 + 3 * ldc) -= s30;
        *(v4*)(c0 + 3 * ldc + 4) -= s31;
      }
    }
  }
  // The edges: rows below m4 (all columns) and columns from n8 (rows above m4).
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = i < m4 ? n8 : 0; j < n; ++j) {
      double s = 0;
      for (int64_t k = 0; k < kk; ++k) {
        s += a[i * lda + k] * b[k * ldb + j];
      }
      c[i * ldc + j] -= s;
    }
  }
}

// Lower Cholesky of g (row-major d×d, lower triangle read and overwritten with L; the upper
// triangle is scratch). False on a non-positive or non-finite pivot.
bool blockedCholesky(double* g, int64_t d, int threads) {
  std::vector<double> panelT;
  for (int64_t k0 = 0; k0 < d; k0 += kPanel) {
    const int64_t kb = std::min(kPanel, d - k0);
    // The diagonal block, already updated by every panel left of it.
    for (int64_t j = k0; j < k0 + kb; ++j) {
      double* gj = g + j * d;
      const double pivot = gj[j] - dot(gj + k0, gj + k0, j - k0);
      if (!(pivot > 0) || !std::isfinite(pivot)) {
        return false;
      }
      gj[j] = std::sqrt(pivot);
      for (int64_t i = j + 1; i < k0 + kb; ++i) {
        double* gi = g + i * d;
        gi[j] = (gi[j] - dot(gi + k0, gj + k0, j - k0)) / gj[j];
      }
    }
    const int64_t r0 = k0 + kb;
    const int64_t m = d - r0;
    if (m == 0) {
      break;
    }
    // The rows below: L[i][panel] = G[i][panel] · L_kk⁻ᵀ, each row on its own.
    const int64_t rowTasks = (m + kTile - 1) / kTile;
    parallelTasks(rowTasks, threads, [&](int64_t t) {
      for (int64_t i = r0 + t * kTile; i < std::min(d, r0 + (t + 1) * kTile); ++i) {
        double* gi = g + i * d;
        for (int64_t j = k0; j < k0 + kb; ++j) {
          const double* gj = g + j * d;
          gi[j] = (gi[j] - dot(gi + k0, gj + k0, j - k0)) / gj[j];
        }
      }
    });
    // The panel transposed (kb × m), so the trailing update reads B by rows.
    panelT.resize((size_t)(kb * m));
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t k = 0; k < kb; ++k) {
        panelT[k * m + i] = g[(r0 + i) * d + k0 + k];
      }
    }
    // Trailing lower triangle: G[i][j] −= L[i][panel] · L[j][panel], tile by tile (I, J ≤ I),
    // the largest rows first so the last tasks are short.
    std::vector<std::pair<int64_t, int64_t>> tiles;
    for (int64_t ti = rowTasks - 1; ti >= 0; --ti) {
      for (int64_t tj = 0; tj <= ti; ++tj) {
        tiles.emplace_back(ti, tj);
      }
    }
    parallelTasks((int64_t)tiles.size(), threads, [&](int64_t t) {
      const int64_t i0 = tiles[t].first * kTile;
      const int64_t j0 = tiles[t].second * kTile;
      tileSub(g + (r0 + i0) * d + r0 + j0, d, g + (r0 + i0) * d + k0, d, panelT.data() + j0, m,
              std::min(kTile, m - i0), std::min(kTile, m - j0), kb);
    });
  }
  return true;
}

// X = L⁻¹ (lower, row-major d×d, zero above the diagonal) by block rows: for the rows of block
// I, X[I][<I0] = −L[I][<I0] · X[<I0][<I0] (tiles of columns, split across threads), then the
// block's own forward substitution.
void lowerInverse(const double* l, double* x, int64_t d, int threads) {
  std::fill(x, x + d * d, 0.0);
  for (int64_t i0 = 0; i0 < d; i0 += kPanel) {
    const int64_t ib = std::min(kPanel, d - i0);
    const int64_t colTiles = (i0 + kTile - 1) / kTile;
    parallelTasks(colTiles, threads, [&](int64_t t) {
      const int64_t j0 = t * kTile;
      // X[k][j] = 0 for k < j, so the sum starts at k = j0.
      tileSub(x + i0 * d + j0, d, l + i0 * d + j0, d, x + j0 * d + j0, d, ib,
              std::min(kTile, i0 - j0), i0 - j0);
    });
    for (int64_t i = i0; i < i0 + ib; ++i) {
      double* xi = x + i * d;
      const double* li = l + i * d;
      xi[i] = 1.0;
      for (int64_t k = i0; k < i; ++k) {
        const double c = li[k];
        const double* xk = x + k * d;
        for (int64_t j = 0; j <= k; ++j) {
          xi[j] -= c * xk[j];
        }
      }
      const double inv = 1.0 / li[i];
      for (int64_t j = 0; j <= i; ++j) {
        xi[j] *= inv;
      }
    }
  }
}

}  // namespace

bool inverseFactorExact(const double* h, int64_t d, double dampRelative, int threads,
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
  std::vector<double> g((size_t)(d * d));
  double damp = dampRelative;
  for (out.raised = 0; out.raised < 8; ++out.raised, damp = damp == 0 ? 1e-6 : damp * 10) {
    if (damp > 1.0) {
      break;
    }
    out.lambda = damp * meanDiag;
    // Lower triangle of P (H + λI) P (the factorization reads only j <= i), dead inputs as 1.
    for (int64_t i = 0; i < d; ++i) {
      const int64_t hi = d - 1 - i;
      for (int64_t j = 0; j <= i; ++j) {
        const int64_t hj = d - 1 - j;
        g[i * d + j] = out.dead[hi] || out.dead[hj] ? (i == j ? 1.0 : 0.0) : h[hi * d + hj];
      }
      g[i * d + i] += out.lambda;
    }
    if (blockedCholesky(g.data(), d, threads)) {
      break;
    }
  }
  if (out.raised == 8 || damp > 1.0) {
    error = "the calibration statistics of an input with " + std::to_string(d) +
            " columns are not positive definite even with damping equal to their mean";
    return false;
  }
  std::vector<double> x((size_t)(d * d));
  lowerInverse(g.data(), x.data(), d, threads);
  // U[i][j] = X[d−1−i][d−1−j]: upper, since X is lower.
  u.resize((size_t)(d * d));
  for (int64_t i = 0; i < d; ++i) {
    const double* xr = &x[(d - 1 - i) * d];
    double* ui = &u[i * d];
    for (int64_t j = 0; j < d; ++j) {
      ui[j] = xr[d - 1 - j];
    }
  }
  return true;
}

bool inverseFactor(const double* h, int64_t d, double dampRelative, int threads,
                   InverseFactor& out, std::string& error) {
  std::vector<double> u;
  if (!inverseFactorExact(h, d, dampRelative, threads, out, u, error)) {
    return false;
  }
  out.u.resize((size_t)(d * d));
  for (int64_t i = 0; i < d * d; ++i) {
    out.u[i] = (float)u[i];
  }
  return true;
}

}  // namespace lowbit::gptq
