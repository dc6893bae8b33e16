// The compensation driver with the blocked trailing update (native/addon/src/gptq/compensate.cpp)
// against the driver it replaced (gptq-compensate-reference.h): on random weights and a Gram
// matrix of correlated inputs, the encoded bytes, the rounded values and the updated weights
// must be identical, for Q3_K (256-column blocks, rows not a multiple of the tile) and for a toy
// 12-column grid (trailing widths not a multiple of the 8-wide strips), on one and two threads.
// Prints "N passed, M failed". With `--speed rows d threads`: seconds of both on Q3_K.
// Built by tests/model/gptq-compensate-native.test.ts and bench/gptq-compensate.ts.
#include "compensate.h"
#include "gptq-compensate-reference.h"
#include "inverseFactor.h"
#include "kquantGrids.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace lowbit::gptq;

namespace {

int passed = 0, failed = 0;

void check(bool ok, const std::string& what) {
  if (ok) {
    ++passed;
  } else {
    ++failed;
    std::printf("FAIL %s\n", what.c_str());
  }
}

// A toy grid: one step per 12-column block (the block's max |x| / 7), values rounded to
// multiples of it, "encoded" as the floats themselves (F32 rows).
void toyFit(const float* x, const float*, int, void* params) {
  float m = 0;
  for (int j = 0; j < 12; ++j) {
    m = std::fmax(m, std::fabs(x[j]));
  }
  *(float*)params = m > 0 ? m / 7 : 1;
}
float toyRound(const void* params, int, float x, int32_t* level) {
  const float s = *(const float*)params;
  *level = (int32_t)std::lround(x / s);
  return (float)*level * s;
}
void toyEncode(const void* params, const int32_t* levels, void* dst) {
  for (int j = 0; j < 12; ++j) {
    ((float*)dst)[j] = (float)levels[j] * *(const float*)params;
  }
}
const Grid kToy = {GGML_TYPE_F32, 12, 12, sizeof(float), toyFit, toyRound, toyEncode};

std::vector<double> gram(int64_t d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  std::vector<double> h(d * d, 0.0), v(d);
  for (int r = 0; r < 32; ++r) {
    for (auto& x : v) {
      x = normal(rng);
    }
    for (int64_t i = 0; i < d; ++i) {
      for (int64_t j = 0; j < d; ++j) {
        h[i * d + j] += v[i] * v[j];
      }
    }
  }
  for (int64_t i = 0; i < d; ++i) {
    h[i * d + i] += std::exp(normal(rng));
  }
  return h;
}

std::vector<float> weights(int64_t rows, int64_t d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::student_t_distribution<float> t(4);
  std::vector<float> w(rows * d);
  for (auto& x : w) {
    x = 0.02f * t(rng);
  }
  return w;
}

template <typename F>
double seconds(F&& body) {
  const auto t0 = std::chrono::steady_clock::now();
  body();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void compare(const std::string& name, const Grid& grid, int64_t rows, int64_t d) {
  const std::vector<double> h = gram(d, (uint32_t)d);
  InverseFactor f;
  std::string error;
  check(inverseFactor(h.data(), d, 0.01, 2, f, error), name + ": factorizes " + error);
  const std::vector<float> w0 = weights(rows, d, (uint32_t)rows);
  const size_t bytes = (size_t)rows * ggml_row_size(grid.type, d);
  for (int threads : {1, 2}) {
    std::vector<float> wa = w0, wb = w0, qa(rows * d), qb(rows * d);
    std::vector<uint8_t> da(bytes), db(bytes);
    CompensateOptions o;
    o.threads = threads;
    referenceCompensate(grid, f, wa.data(), rows, o, da.data(), qa.data());
    compensate(grid, f, wb.data(), rows, o, db.data(), qb.data());
    const std::string tag = name + " (" + std::to_string(threads) + " threads)";
    check(da == db, tag + ": the same bytes");
    check(std::memcmp(qa.data(), qb.data(), qa.size() * 4) == 0, tag + ": the same values");
    check(std::memcmp(wa.data(), wb.data(), wa.size() * 4) == 0, tag + ": the same updates");
    int64_t moved = 0;
    for (int64_t i = 0; i < rows * d; ++i) {
      moved += qa[i] != w0[i];
    }
    check(moved > 0, tag + ": compensation did something");
    std::printf("%s: rows=%lld d=%lld identical=%d\n", tag.c_str(), (long long)rows,
                (long long)d, da == db && qa == qb && wa == wb ? 1 : 0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::strcmp(argv[1], "--speed") == 0) {
    const int64_t rows = std::atoll(argv[2]), d = std::atoll(argv[3]);
    const int threads = std::atoi(argv[4]);
    const Grid& grid = *kquantGridFor(GGML_TYPE_Q3_K);
    const std::vector<double> h = gram(d, 1);
    InverseFactor f;
    std::string error;
    inverseFactor(h.data(), d, 0.01, threads, f, error);
    const std::vector<float> w0 = weights(rows, d, 2);
    std::vector<float> wa = w0, wb = w0;
    std::vector<uint8_t> da((size_t)rows * ggml_row_size(grid.type, d)), db(da.size());
    CompensateOptions o;
    o.threads = threads;
    const double tNew = seconds([&] { compensate(grid, f, wb.data(), rows, o, db.data(), nullptr); });
    const double tOld =
        seconds([&] { referenceCompensate(grid, f, wa.data(), rows, o, da.data(), nullptr); });
    std::printf("Q3_K %lldx%lld threads=%d old=%.2fs new=%.2fs new/old=%.3f identical=%d\n",
                (long long)rows, (long long)d, threads, tOld, tNew, tNew / tOld,
                da == db ? 1 : 0);
    return 0;
  }
  compare("Q3_K 77x1024", *kquantGridFor(GGML_TYPE_Q3_K), 77, 1024);
  compare("toy 12-column grid 45x300", kToy, 45, 300);
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
