// Tests for the k-quant grids the GPTQ-style driver rounds against
// (native/addon/src/gptq/kquantGrids.cpp), against llama.cpp's own quantizer and dequantizer in
// libggml-base. For Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and IQ4_XS, on Gaussian, heavy-tailed and
// degenerate rows, with and without importance:
//  1. fit + round every column unchanged + encode gives ggml_quantize_chunk's bytes;
//  2. ggml's to_float of the encoded block gives exactly the values round() returned;
//  3. perturbed values (small nudges and wild outliers) round to a level on the same grid, the
//     nearest one (IQ4_XS: as near as llama.cpp's fp32 scale allows), and still dequantize to
//     what round() returned; values far out of range go to the grid's end.
// Built and run by tests/model/kquant-grids-native.test.ts; prints "N passed, M failed".
#include "kquantGrids.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

using lowbit::gptq::Grid;
using lowbit::gptq::kquantGridFor;

static int g_passed = 0, g_failed = 0;

#define CHECK(cond, ...)                          \
  do {                                            \
    if (cond) {                                   \
      ++g_passed;                                 \
    } else {                                      \
      ++g_failed;                                 \
      printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      printf(__VA_ARGS__);                        \
      printf("\n");                               \
    }                                             \
  } while (0)

constexpr int kCols = 256;

// Deterministic random numbers (xorshift).
static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static float uniform01() {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return (float)((g_rng >> 40) + 0.5) / (float)(1ull << 24);
}
static float gaussian() {
  const float u = uniform01(), v = uniform01();
  return sqrtf(-2.0f * logf(u)) * cosf(6.2831853f * v);
}

enum class Rows { Gaussian, HeavyTailed, Degenerate };
static const char* rowsName(Rows r) {
  return r == Rows::Gaussian ? "gaussian" : r == Rows::HeavyTailed ? "heavy-tailed" : "degenerate";
}

// One row of weights. Heavy-tailed: Student t with 2 degrees of freedom plus rare 20x outliers,
// as some trained layers have. Degenerate: the edge cases of each search (all zero, one
// non-zero, constant, all negative, tiny, a zero sub-block next to large ones).
static void fillRow(Rows kind, int index, float* x) {
  const float scale = 0.02f * (1 + index % 7);
  if (kind == Rows::Gaussian) {
    for (int j = 0; j < kCols; ++j) x[j] = scale * gaussian();
  } else if (kind == Rows::HeavyTailed) {
    for (int j = 0; j < kCols; ++j) {
      const float g1 = gaussian(), g2 = gaussian(), g3 = gaussian();
      x[j] = scale * g1 / sqrtf((g2 * g2 + g3 * g3) / 2 + 1e-6f);
      if (uniform01() < 0.005f) x[j] *= 20;
    }
  } else {
    for (int j = 0; j < kCols; ++j) x[j] = 0;
    switch (index % 7) {
      case 0:
        break;
      case 1:
        x[index % kCols] = scale;
        break;
      case 2:
        for (int j = 0; j < kCols; ++j) x[j] = scale;
        break;
      case 3:
        for (int j = 0; j < kCols; ++j) x[j] = -scale * (1 + uniform01());
        break;
      case 4:
        for (int j = 0; j < kCols; ++j) x[j] = 1e-9f * gaussian();
        break;
      case 5:
        for (int j = 32; j < kCols; ++j) x[j] = scale * gaussian();
        break;
      default:
        for (int j = 0; j < kCols; ++j) x[j] = (j % 16 == 3) ? 5 * scale : scale * gaussian();
    }
  }
}

// Importance like an imatrix's (positive, uneven, a few columns never active); some rows have a
// sub-block of dead inputs, or no active input at all (llama.cpp then writes a zero block).
static void fillImportance(int index, float* w) {
  for (int j = 0; j < kCols; ++j) {
    w[j] = expf(1.5f * gaussian());
    if (uniform01() < 0.05f) w[j] = 0;
    if ((index % 11 == 5 && j < 32) || index % 29 == 13) w[j] = 0;
  }
}

struct TypeCase {
  ggml_type type;
  const char* name;
  int nmax;  // highest level
  // IQ4_XS assigns levels with llama.cpp's fp32 super-block scale, not the fp16 one stored, so
  // its decision boundaries may sit off the stored values' midpoints (see relativeSlack).
  bool fp32Assign;
};

static const TypeCase kTypes[] = {
    {GGML_TYPE_Q2_K, "Q2_K", 3, false},   {GGML_TYPE_Q3_K, "Q3_K", 7, false},
    {GGML_TYPE_Q4_K, "Q4_K", 15, false},  {GGML_TYPE_Q5_K, "Q5_K", 31, false},
    {GGML_TYPE_Q6_K, "Q6_K", 63, false},  {GGML_TYPE_IQ4_XS, "IQ4_XS", 15, true},
};

// How far, relative to the scale, the assigning scale may be from the stored one: an fp16
// rounding (half an fp16 step: 2^-11 relative, more where the scale is subnormal in fp16, as
// IQ4_XS scales of typical layers are), doubled as the grid's search window is.
static float relativeSlack(const TypeCase& tc, const uint8_t* block) {
  if (!tc.fp32Assign) return 0;
  ggml_fp16_t h;
  memcpy(&h, block, sizeof h);
  const float d = fabsf(ggml_fp16_to_fp32(h));
  return d == 0 ? 0 : fmaxf(0x1p-10f, 0x1p-24f / d);
}

static bool sameBits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

// Every value a column of sub-block s can take: round() at a level's own value gives it back,
// so decode each level by encoding a block that holds it and dequantizing with ggml.
static std::vector<float> gridValues(const Grid* g, const ggml_type_traits* tt, const void* params,
                                     int column, int nmax) {
  std::vector<int32_t> levels(kCols, 0);
  std::vector<uint8_t> block(ggml_row_size(g->type, kCols));
  std::vector<float> out(kCols);
  std::vector<float> values;
  for (int l = 0; l <= nmax; ++l) {
    levels[column] = l;
    g->encode(params, levels.data(), block.data());
    tt->to_float(block.data(), out.data(), kCols);
    values.push_back(out[column]);
  }
  return values;
}

static void checkRow(const TypeCase& tc, const float* x, const float* w, const char* label) {
  const Grid* g = kquantGridFor(tc.type);
  const ggml_type_traits* tt = ggml_get_type_traits(tc.type);
  const size_t bytes = ggml_row_size(tc.type, kCols);
  std::vector<uint8_t> ref(bytes), mine(bytes), params(g->params_size);
  std::vector<int32_t> levels(kCols);
  std::vector<float> rounded(kCols), deq(kCols);

  ggml_quantize_chunk(tc.type, x, ref.data(), 0, 1, kCols, w);
  g->fit(x, w, 0, params.data());
  for (int j = 0; j < kCols; ++j) rounded[j] = g->round(params.data(), j, x[j], &levels[j]);
  g->encode(params.data(), levels.data(), mine.data());
  // 1. llama.cpp's bytes.
  CHECK(memcmp(ref.data(), mine.data(), bytes) == 0, "%s %s: bytes differ from llama.cpp's",
        tc.name, label);

  // 2. ggml dequantizes the encoded block to exactly round()'s values.
  tt->to_float(mine.data(), deq.data(), kCols);
  int mismatched = 0;
  for (int j = 0; j < kCols; ++j) mismatched += !sameBits(deq[j], rounded[j]);
  CHECK(mismatched == 0, "%s %s: %d columns dequantize to other values than round() returned",
        tc.name, label, mismatched);

  // 3. Perturbed values: the level is in range, the value is on the grid (dequantizes to it) and
  // is the nearest grid value of that column's sub-block.
  float amax = 0;
  for (int j = 0; j < kCols; ++j) amax = fmaxf(amax, fabsf(x[j]));
  if (amax == 0) amax = 1;
  int outOfRange = 0, notNearest = 0;
  for (int j = 0; j < kCols; ++j) {
    const float kick = uniform01() < 0.1f ? 10 * amax * gaussian() : 0.3f * amax * gaussian();
    rounded[j] = g->round(params.data(), j, x[j] + kick, &levels[j]);
    outOfRange += levels[j] < 0 || levels[j] > tc.nmax;
  }
  CHECK(outOfRange == 0, "%s %s: %d perturbed columns got a level out of range", tc.name, label,
        outOfRange);
  g->encode(params.data(), levels.data(), mine.data());
  tt->to_float(mine.data(), deq.data(), kCols);
  mismatched = 0;
  for (int j = 0; j < kCols; ++j) mismatched += !sameBits(deq[j], rounded[j]);
  CHECK(mismatched == 0, "%s %s: %d perturbed columns are off the grid", tc.name, label,
        mismatched);
  // Nearest: checked on a few columns per row (decoding a grid costs nmax + 1 encodes).
  for (int j = 0; j < kCols; j += 37) {
    const float target = x[j] + 0.7f * amax * gaussian();
    int32_t level;
    const float v = g->round(params.data(), j, target, &level);
    const std::vector<float> grid = gridValues(g, tt, params.data(), j, tc.nmax);
    float best = INFINITY;
    for (float gv : grid) best = fminf(best, fabsf(target - gv));
    const float slack = relativeSlack(tc, ref.data());
    const float tolerance = (1e-6f + 2 * slack) * fabsf(target) + 1e-30f;
    if (fabsf(target - v) > best + tolerance) ++notNearest;
  }
  CHECK(notNearest == 0, "%s %s: %d columns rounded to a grid value that is not the nearest",
        tc.name, label, notNearest);
  // Far beyond the block's range (llama.cpp's nearest_int trick is only valid up to 2^22
  // steps): the grid's end on that side.
  int notEnd = 0;
  for (int j = 5; j < kCols; j += 64) {
    const std::vector<float> grid = gridValues(g, tt, params.data(), j, tc.nmax);
    float lo = INFINITY, hi = -INFINITY;
    for (float gv : grid) lo = fminf(lo, gv), hi = fmaxf(hi, gv);
    for (float far : {1e30f * amax, -1e30f * amax, 3e7f * amax, -3e7f * amax}) {
      int32_t level;
      const float v = g->round(params.data(), j, far, &level);
      notEnd += level < 0 || level > tc.nmax || v != (far > 0 ? hi : lo);
    }
  }
  CHECK(notEnd == 0, "%s %s: %d huge values did not round to the grid's end", tc.name, label,
        notEnd);
}

// The driver fits rows on several threads: the same rows fitted concurrently give the same bytes.
static void checkThreads(const TypeCase& tc) {
  const Grid* g = kquantGridFor(tc.type);
  const size_t bytes = ggml_row_size(tc.type, kCols);
  const int rows = 64;
  std::vector<float> x(rows * kCols), w(rows * kCols);
  for (int r = 0; r < rows; ++r) {
    fillRow(Rows::HeavyTailed, r, &x[r * kCols]);
    fillImportance(r, &w[r * kCols]);
  }
  auto quantize = [&](std::vector<uint8_t>& out) {
    std::vector<uint8_t> params(g->params_size);
    std::vector<int32_t> levels(kCols);
    for (int r = 0; r < rows; ++r) {
      const float* xr = &x[r * kCols];
      g->fit(xr, &w[r * kCols], 0, params.data());
      for (int j = 0; j < kCols; ++j) g->round(params.data(), j, xr[j] * 0.9f, &levels[j]);
      g->encode(params.data(), levels.data(), &out[r * bytes]);
    }
  };
  std::vector<uint8_t> serial(rows * bytes), a(rows * bytes), b(rows * bytes);
  quantize(serial);
  std::thread ta([&] { quantize(a); }), tb([&] { quantize(b); });
  ta.join();
  tb.join();
  CHECK(serial == a && serial == b, "%s: rows fitted on two threads differ", tc.name);
}

int main() {
  // Only the k-quants and IQ4_XS have grids here.
  const ggml_type others[] = {GGML_TYPE_F32, GGML_TYPE_F16, GGML_TYPE_Q8_0, GGML_TYPE_Q4_0,
                              GGML_TYPE_IQ4_NL, GGML_TYPE_IQ2_XS, GGML_TYPE_TQ1_0};
  for (ggml_type t : others) CHECK(kquantGridFor(t) == nullptr, "a grid for %s", ggml_type_name(t));

  const int rowsPerKind = 150;
  for (const TypeCase& tc : kTypes) {
    const Grid* g = kquantGridFor(tc.type);
    CHECK(g != nullptr, "no grid for %s", tc.name);
    if (g == nullptr) continue;
    CHECK(g->type == tc.type && g->block_cols == kCols && g->fit_cols == kCols &&
              g->params_size > 0,
          "%s: grid shape", tc.name);
    int rows = 0;
    float x[kCols], w[kCols];
    for (Rows kind : {Rows::Gaussian, Rows::HeavyTailed, Rows::Degenerate}) {
      for (int withImportance = 0; withImportance < 2; ++withImportance) {
        const int n = kind == Rows::Degenerate ? 14 : rowsPerKind;
        for (int r = 0; r < n; ++r) {
          fillRow(kind, r, x);
          if (withImportance) fillImportance(r, w);
          char label[96];
          snprintf(label, sizeof label, "%s row %d %s importance", rowsName(kind), r,
                   withImportance ? "with" : "without");
          checkRow(tc, x, withImportance ? w : nullptr, label);
          ++rows;
        }
      }
    }
    checkThreads(tc);
    printf("%s: %d rows checked\n", tc.name, rows);
  }
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
