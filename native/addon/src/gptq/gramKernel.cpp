// Tokens are transposed first (feature-major, padded to 8), so every entry of H is a dot product
// of two contiguous vectors; four rows of H at a time reuse each loaded column. GCC vector
// extensions give 8-wide SIMD on any target; on x86-64 Linux the kernel is also built for
// x86-64-v3 (AVX2 + FMA) and picked at run time.
#include "gramKernel.h"
#include "simd.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

namespace lowbit::gptq {

namespace {

typedef float v8 __attribute__((vector_size(32)));

inline v8 load(const float* p) {
  v8 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline float sum(v8 v) {
  return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
}

// Rows [i, i + rows) of H (rows <= 4), columns j >= i, from xt (d × np floats).
LOWBIT_SIMD_CLONES
void tile(const float* xt, int64_t np, int64_t d, int64_t i, int rows, double* h) {
  const float* a0 = xt + i * np;
  const float* a1 = rows > 1 ? a0 + np : a0;
  const float* a2 = rows > 2 ? a0 + 2 * np : a0;
  const float* a3 = rows > 3 ? a0 + 3 * np : a0;
  for (int64_t j = i; j < d; ++j) {
    const float* b = xt + j * np;
    v8 s0 = {}, s1 = {}, s2 = {}, s3 = {};
    for (int64_t t = 0; t < np; t += 8) {
      const v8 bj = load(b + t);
      s0 += load(a0 + t) * bj;
      s1 += load(a1 + t) * bj;
      s2 += load(a2 + t) * bj;
      s3 += load(a3 + t) * bj;
    }
    const float s[4] = {sum(s0), sum(s1), sum(s2), sum(s3)};
    for (int r = 0; r < rows; ++r) {
      if (j >= i + r) {
        h[(i + r) * d + j] += s[r];
      }
    }
  }
}

}  // namespace

bool addGram(const float* x, int64_t n, int64_t d, size_t rowStride, double* h, int threads) {
  const int64_t np = (n + 7) / 8 * 8;
  std::vector<float> xt((size_t)(d * np), 0.0f);
  for (int64_t t = 0; t < n; ++t) {
    const float* row = (const float*)((const char*)x + t * rowStride);
    for (int64_t c = 0; c < d; ++c) {
      if (!std::isfinite(row[c])) {
        return false;
      }
      xt[c * np + t] = row[c];
    }
  }
  const int64_t tiles = (d + 3) / 4;
  threads = std::max(1, std::min<int>(threads, (int)tiles));
  auto work = [&](int k) {
    // Interleaved tiles: the work per tile shrinks along the diagonal.
    for (int64_t q = k; q < tiles; q += threads) {
      const int64_t i = q * 4;
      tile(xt.data(), np, d, i, (int)std::min<int64_t>(4, d - i), h);
    }
  };
  if (threads == 1) {
    work(0);
    return true;
  }
  std::vector<std::thread> pool;
  for (int k = 1; k < threads; ++k) {
    pool.emplace_back(work, k);
  }
  work(0);
  for (auto& t : pool) {
    t.join();
  }
  return true;
}

void mirrorUpper(double* h, int64_t d) {
  for (int64_t i = 0; i < d; ++i) {
    for (int64_t j = 0; j < i; ++j) {
      h[i * d + j] = h[j * d + i];
    }
  }
}

}  // namespace lowbit::gptq
