// Speed of the blocked factorization (native/addon/src/gptq/inverseFactor.cpp) against the
// algorithm it replaced (gptq-factor-reference.h), in the same run, on an SPD matrix of each
// size given: a diagonal with a spread plus 32 random rank-one terms (what a Gram matrix of
// correlated activations looks like, and cheap to make at d = 5632). argv: threads d...
// Prints one line per size: seconds of each (wall), ratio, and their normwise difference.
#include "gptq-factor-reference.h"
#include "inverseFactor.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

using namespace lowbit::gptq;

static std::vector<double> spd(int64_t d) {
  std::mt19937 rng(1);
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

template <typename F>
static double seconds(F&& body) {
  const auto t0 = std::chrono::steady_clock::now();
  body();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  for (int a = 2; a < argc; ++a) {
    const int64_t d = std::atoll(argv[a]);
    const std::vector<double> h = spd(d);
    InverseFactor fo, fn;
    std::vector<double> uo, un;
    std::string e;
    const double tNew = seconds([&] { inverseFactorExact(h.data(), d, 0.01, threads, fn, un, e); });
    const double tOld =
        seconds([&] { referenceInverseFactor(h.data(), d, 0.01, threads, fo, uo, e); });
    double maxU = 0, maxDiff = 0;
    for (int64_t i = 0; i < d * d; ++i) {
      maxU = std::fmax(maxU, std::fabs(uo[i]));
      maxDiff = std::fmax(maxDiff, std::fabs(uo[i] - un[i]));
    }
    std::printf("d=%lld threads=%d old=%.2fs new=%.2fs new/old=%.3f rel.diff=%.2g\n",
                (long long)d, threads, tOld, tNew, tNew / tOld, maxDiff / maxU);
    std::fflush(stdout);
  }
  return 0;
}
