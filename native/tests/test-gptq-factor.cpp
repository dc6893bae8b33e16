// The blocked factorization (native/addon/src/gptq/inverseFactor.cpp) against the algorithm it
// replaced (gptq-factor-reference.h): the upper factor U of (H + λI)⁻¹ for random SPD matrices
// of sizes around and not on the panel width, a near-singular one that needs more damping, and
// one with dead inputs. Prints one line per case and "N passed, M failed".
#include "gptq-factor-reference.h"
#include "inverseFactor.h"

#include <cmath>
#include <cstdio>
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

// H = XᵀX / n for n Gaussian rows with per-column scales (an activation-like spread), of rank
// min(n, d): n < d makes it singular, so only damping makes it factorizable.
std::vector<double> gram(int64_t d, int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  std::vector<double> scale(d), x(n * d), h(d * d, 0.0);
  for (auto& s : scale) {
    s = std::exp(normal(rng));
  }
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t c = 0; c < d; ++c) {
      x[r * d + c] = normal(rng) * scale[c];
    }
  }
  for (int64_t r = 0; r < n; ++r) {
    const double* xr = &x[r * d];
    for (int64_t i = 0; i < d; ++i) {
      for (int64_t j = 0; j < d; ++j) {
        h[i * d + j] += xr[i] * xr[j];
      }
    }
  }
  return h;
}

void compare(const std::string& name, const std::vector<double>& h, int64_t d, double damp) {
  for (int threads : {1, 2}) {
    InverseFactor a, b;
    std::vector<double> ua, ub;
    std::string ea, eb;
    const bool okA = referenceInverseFactor(h.data(), d, damp, threads, a, ua, ea);
    const bool okB = inverseFactorExact(h.data(), d, damp, threads, b, ub, eb);
    const std::string tag = name + " (" + std::to_string(threads) + " threads)";
    check(okA && okB, tag + ": both factorize: " + ea + eb);
    if (!okA || !okB) {
      continue;
    }
    check(a.raised == b.raised && a.lambda == b.lambda, tag + ": same damping");
    check(a.dead == b.dead, tag + ": same dead inputs");
    // Normwise relative difference: max |ΔU| / max |U| (entrywise relative is meaningless for
    // entries that cancel to ~0).
    double maxU = 0, maxDiff = 0;
    bool lowerZero = true;
    for (int64_t i = 0; i < d; ++i) {
      for (int64_t j = 0; j < d; ++j) {
        maxU = std::fmax(maxU, std::fabs(ua[i * d + j]));
        maxDiff = std::fmax(maxDiff, std::fabs(ua[i * d + j] - ub[i * d + j]));
        if (j < i && ub[i * d + j] != 0) {
          lowerZero = false;
        }
      }
    }
    const double rel = maxDiff / maxU;
    check(rel <= 1e-9, tag + ": relative difference " + std::to_string(rel));
    check(lowerZero, tag + ": U is upper triangular");
    // What the updates use: U in float, equal up to float's rounding of the largest entry.
    bool floatsClose = true;
    for (int64_t i = 0; i < d * d; ++i) {
      if (std::fabs((float)ua[i] - (float)ub[i]) > 1e-7 * maxU) {
        floatsClose = false;
      }
    }
    check(floatsClose, tag + ": the float U the updates use agrees");
    std::printf("%s: d=%lld raised=%d lambda=%.6g max|U|=%.4g rel.diff=%.3g\n", tag.c_str(),
                (long long)d, b.raised, b.lambda, maxU, rel);
  }
}

}  // namespace

int main() {
  for (int64_t d : {64, 512, 1000}) {
    compare("random SPD " + std::to_string(d), gram(d, 2 * d, (uint32_t)d), d, 0.01);
  }
  // Rank 100 of 300: singular without damping; with damping 0 the ladder raises it.
  compare("near-singular 300, damping 0", gram(300, 100, 7), 300, 0.0);
  compare("near-singular 300, damping 0.01", gram(300, 100, 8), 300, 0.01);
  {
    std::vector<double> h = gram(200, 400, 9);
    for (int64_t c : {0, 17, 130, 199}) {
      for (int64_t k = 0; k < 200; ++k) {
        h[c * 200 + k] = h[k * 200 + c] = 0;
      }
    }
    compare("dead inputs 200", h, 200, 0.01);
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
