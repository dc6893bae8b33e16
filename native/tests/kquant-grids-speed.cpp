// Speed of the k-quant grids against llama.cpp's quantizer, in the same run: for each type,
// 4096 blocks of Gaussian weights with heavy tails, with and without importance, quantized by
// ggml_quantize_chunk (the referee: what llama-quantize does per block) and by the grid with no
// compensation (fit + round every column + encode, what the GPTQ driver adds per block besides
// its own updates). One thread, best of argv[1] repetitions. Run by bench/kquant-grids.ts.
#include "kquantGrids.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

using lowbit::gptq::Grid;
using lowbit::gptq::kquantGridFor;

constexpr int kCols = 256;
constexpr int kBlocks = 4096;

template <typename F>
static double bestMicrosPerBlock(int reps, F&& body) {
  double best = INFINITY;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    body();
    const auto t1 = std::chrono::steady_clock::now();
    best = std::fmin(best, std::chrono::duration<double, std::micro>(t1 - t0).count() / kBlocks);
  }
  return best;
}

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 5;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0, 1);
  std::vector<float> x((size_t)kBlocks * kCols), w(x.size());
  for (float& v : x) {
    const float t = normal(rng) / std::sqrt((normal(rng) * normal(rng) + normal(rng) * normal(rng) +
                                             normal(rng) * normal(rng)) /
                                                3 +
                                            1e-6f);
    v = 0.02f * t;  // Student t, 3 degrees of freedom: a trained layer's tails
  }
  for (float& v : w) v = std::exp(1.5f * normal(rng));

  printf("| Type | importance | llama.cpp µs/block | grid µs/block | grid / llama.cpp |\n");
  printf("|---|---|---|---|---|\n");
  const ggml_type types[] = {GGML_TYPE_Q2_K, GGML_TYPE_Q3_K, GGML_TYPE_Q4_K,
                             GGML_TYPE_Q5_K, GGML_TYPE_Q6_K, GGML_TYPE_IQ4_XS};
  for (ggml_type type : types) {
    const Grid* g = kquantGridFor(type);
    const size_t bytes = ggml_row_size(type, kCols);
    std::vector<uint8_t> ref(bytes * kBlocks), mine(bytes * kBlocks), params(g->params_size);
    std::vector<int32_t> levels(kCols);
    for (bool withImportance : {false, true}) {
      const double referee = bestMicrosPerBlock(reps, [&] {
        for (int b = 0; b < kBlocks; ++b) {
          const float* imp = withImportance ? &w[(size_t)b * kCols] : nullptr;
          ggml_quantize_chunk(type, &x[(size_t)b * kCols], &ref[b * bytes], 0, 1, kCols, imp);
        }
      });
      const double grid = bestMicrosPerBlock(reps, [&] {
        for (int b = 0; b < kBlocks; ++b) {
          const float* xb = &x[(size_t)b * kCols];
          g->fit(xb, withImportance ? &w[(size_t)b * kCols] : nullptr, 0, params.data());
          for (int j = 0; j < kCols; ++j) g->round(params.data(), j, xb[j], &levels[j]);
          g->encode(params.data(), levels.data(), &mine[b * bytes]);
        }
      });
      // The comparison is only fair if both made the same file.
      if (std::memcmp(ref.data(), mine.data(), ref.size()) != 0) {
        fprintf(stderr, "%s: the grid's bytes differ from llama.cpp's\n", ggml_type_name(type));
        return 1;
      }
      printf("| %s | %s | %.1f | %.1f | %.2fx |\n", ggml_type_name(type),
             withImportance ? "yes" : "no", referee, grid, grid / referee);
    }
  }
  return 0;
}
