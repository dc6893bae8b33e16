// Grids for llama.cpp's k-quants and IQ4_XS (see kquantGrids.h).
//
// fit() runs llama.cpp's own search for the type (ggml_quantize_chunk on the one block, with or
// without importance) and keeps the block it wrote; round() repeats llama.cpp's final assignment
// pass against the scales stored in that block; encode() reuses the block's header and packs the
// levels as llama.cpp packs them. With no compensation the bytes are llama-quantize's, for
// every type (IQ4_XS needs one more step: see IQ4XS below). The block layouts are spelled out
// as byte offsets because the addon builds against ggml's public headers only (ggml-common.h
// is internal).
#include "kquantGrids.h"

#include <cmath>
#include <cstring>

namespace lowbit::gptq {
namespace {

constexpr int kCols = 256;  // QK_K

struct Params {
  // The block llama.cpp wrote for the fitted weights (the largest, Q6_K, is 210 bytes).
  uint8_t block[256];
  // Per sub-block: the value one level is worth and what is subtracted after scaling.
  float step[16];
  float offset[16];
  // IQ4_XS only: what llama.cpp's final pass multiplies a column by to pick its level.
  float assign[16];
  // llama.cpp's level for each column. Where a sub-block's step is 0 every level has the same
  // value and llama.cpp leaves the search's level in place; keeping it keeps the bytes identical.
  uint8_t fitted[kCols];
};

// llama.cpp's nearest_int (round half to even through the float mantissa). Its trick is only
// valid for |v| <= 4194303; compensated weights can be anything, so clamp first (every level
// range is far inside that, so the clamped result is the same level).
int nearestInt(float v) {
  if (!(std::fabs(v) <= 4194303.f)) {
    v = v > 0 ? 4194303.f : -4194303.f;
  }
  float biased = v + 12582912.f;
  int32_t i;
  std::memcpy(&i, &biased, sizeof i);
  return (i & 0x007fffff) - 0x00400000;
}

int clampInt(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

float half(const uint8_t* p) {
  ggml_fp16_t h;
  std::memcpy(&h, p, sizeof h);
  return ggml_fp16_to_fp32(h);
}

// Two-bit fields as Q2_K and Q3_K store them: byte j/4 + l of each 128 columns holds columns
// l, l + 32, l + 64, l + 96 in bits 0-1, 2-3, 4-5, 6-7.
void unpack2(const uint8_t* qs, uint8_t* L) {
  for (int j = 0; j < kCols; j += 128) {
    for (int l = 0; l < 32; ++l) {
      const uint8_t b = qs[j / 4 + l];
      for (int k = 0; k < 4; ++k) L[j + l + 32 * k] = (b >> (2 * k)) & 3;
    }
  }
}
void pack2(const uint8_t* L, uint8_t* qs) {
  for (int j = 0; j < kCols; j += 128) {
    for (int l = 0; l < 32; ++l) {
      qs[j / 4 + l] = L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6);
    }
  }
}

// Q4_K/Q5_K low nibbles: byte l of each 64 columns holds column l (low) and l + 32 (high).
void unpack4(const uint8_t* qs, uint8_t* L) {
  for (int j = 0; j < kCols; j += 64) {
    for (int l = 0; l < 32; ++l) {
      L[j + l] = qs[j / 2 + l] & 0xF;
      L[j + l + 32] = qs[j / 2 + l] >> 4;
    }
  }
}
void pack4(const uint8_t* L, uint8_t* qs) {
  for (int j = 0; j < kCols; j += 64) {
    for (int l = 0; l < 32; ++l) qs[j / 2 + l] = (L[j + l] & 0xF) | ((L[j + l + 32] & 0xF) << 4);
  }
}

// The 6-bit scale and min of sub-block j in Q4_K/Q5_K's 12 scale bytes (get_scale_min_k4).
void scaleMinK4(int j, const uint8_t* q, uint8_t* d, uint8_t* m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4);
  }
}

// Types whose stored scales are the ones llama.cpp assigned levels with: nothing to recover.
struct StoredScales {
  static void refine(Params&, const float*) {}
};

// Each type: its block size, sub-block width, how the block's header gives each sub-block's
// step/offset, llama.cpp's final assignment of a level (step != 0), the level's value exactly as
// ggml's dequantize_row_* computes it, and the level packing.

// Q2_K: scales[16] @0 (4-bit scale | 4-bit min << 4), qs[64] @16, d @80, dmin @82.
struct Q2K : StoredScales {
  static constexpr ggml_type type = GGML_TYPE_Q2_K;
  static constexpr size_t bytes = 84;
  static constexpr int sub = 16;
  static void scales(const uint8_t* b, float* step, float* offset) {
    const float d = half(b + 80), dmin = half(b + 82);
    for (int j = 0; j < 16; ++j) {
      step[j] = d * (b[j] & 0xF);
      offset[j] = dmin * (b[j] >> 4);
    }
  }
  static int level(const Params& p, int s, float x) {
    return clampInt(nearestInt((x + p.offset[s]) / p.step[s]), 0, 3);
  }
  static float value(float step, float offset, int level) { return step * level - offset; }
  static void unpack(const uint8_t* b, uint8_t* L) { unpack2(b + 16, L); }
  static void pack(const uint8_t* L, uint8_t* b) { pack2(L, b + 16); }
};

// Q3_K: hmask[32] @0 (bit j/32 of byte j%32: level > 3), qs[64] @32 (low 2 bits), scales[12]
// @96 (6-bit, biased by 32), d @108. Level = l + 4 for l in [-4, 3].
struct Q3K : StoredScales {
  static constexpr ggml_type type = GGML_TYPE_Q3_K;
  static constexpr size_t bytes = 110;
  static constexpr int sub = 16;
  static void scales(const uint8_t* b, float* step, float* offset) {
    const uint8_t* s = b + 96;
    const float d = half(b + 108);
    for (int j = 0; j < 16; ++j) {
      int sc = j < 8 ? s[j] & 0xF : s[j - 8] >> 4;
      sc = (sc | (((s[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
      step[j] = d * sc;
      offset[j] = 0;
    }
  }
  static int level(const Params& p, int s, float x) {
    return clampInt(nearestInt(x / p.step[s]), -4, 3) + 4;
  }
  static float value(float step, float, int level) { return step * (level - 4); }
  static void unpack(const uint8_t* b, uint8_t* L) {
    unpack2(b + 32, L);
    for (int j = 0; j < kCols; ++j) L[j] |= ((b[j % 32] >> (j / 32)) & 1) << 2;
  }
  static void pack(const uint8_t* L, uint8_t* b) {
    uint8_t low[kCols];
    std::memset(b, 0, 32);
    for (int j = 0; j < kCols; ++j) {
      b[j % 32] |= (L[j] >> 2) << (j / 32);
      low[j] = L[j] & 3;
    }
    pack2(low, b + 32);
  }
};

// Q4_K: d @0, dmin @2, scales[12] @4 (6-bit scales and mins), qs[128] @16.
struct Q4K : StoredScales {
  static constexpr ggml_type type = GGML_TYPE_Q4_K;
  static constexpr size_t bytes = 144;
  static constexpr int sub = 32;
  static void scales(const uint8_t* b, float* step, float* offset) {
    const float d = half(b), dmin = half(b + 2);
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      scaleMinK4(j, b + 4, &sc, &m);
      step[j] = d * sc;
      offset[j] = dmin * m;
    }
  }
  static int level(const Params& p, int s, float x) {
    return clampInt(nearestInt((x + p.offset[s]) / p.step[s]), 0, 15);
  }
  static float value(float step, float offset, int level) { return step * level - offset; }
  static void unpack(const uint8_t* b, uint8_t* L) { unpack4(b + 16, L); }
  static void pack(const uint8_t* L, uint8_t* b) { pack4(L, b + 16); }
};

// Q5_K: as Q4_K with qh[32] @16 (bits 2k and 2k+1 of byte l: the fifth bit of columns
// 64k + l and 64k + l + 32) and qs[128] @48.
struct Q5K : StoredScales {
  static constexpr ggml_type type = GGML_TYPE_Q5_K;
  static constexpr size_t bytes = 176;
  static constexpr int sub = 32;
  static void scales(const uint8_t* b, float* step, float* offset) { Q4K::scales(b, step, offset); }
  static int level(const Params& p, int s, float x) {
    return clampInt(nearestInt((x + p.offset[s]) / p.step[s]), 0, 31);
  }
  static float value(float step, float offset, int level) { return step * level - offset; }
  static void unpack(const uint8_t* b, uint8_t* L) {
    unpack4(b + 48, L);
    for (int n = 0; n < kCols; n += 64) {
      for (int l = 0; l < 32; ++l) {
        L[n + l] |= ((b[16 + l] >> (n / 32)) & 1) << 4;
        L[n + l + 32] |= ((b[16 + l] >> (n / 32 + 1)) & 1) << 4;
      }
    }
  }
  static void pack(const uint8_t* L, uint8_t* b) {
    std::memset(b + 16, 0, 32);
    for (int n = 0; n < kCols; n += 64) {
      for (int l = 0; l < 32; ++l) {
        b[16 + l] |= ((L[n + l] >> 4) << (n / 32)) | ((L[n + l + 32] >> 4) << (n / 32 + 1));
      }
    }
    pack4(L, b + 48);
  }
};

// Q6_K: ql[128] @0, qh[64] @128, scales[16] @192 (int8), d @208. Level = l + 32 for l in
// [-32, 31]. Of each 128 columns, ql byte l holds columns l / l + 64 and byte l + 32 columns
// l + 32 / l + 96 (low and high nibble); qh byte l their top two bits, in that order.
struct Q6K : StoredScales {
  static constexpr ggml_type type = GGML_TYPE_Q6_K;
  static constexpr size_t bytes = 210;
  static constexpr int sub = 16;
  static void scales(const uint8_t* b, float* step, float* offset) {
    const float d = half(b + 208);
    for (int j = 0; j < 16; ++j) {
      step[j] = d * static_cast<int8_t>(b[192 + j]);
      offset[j] = 0;
    }
  }
  static int level(const Params& p, int s, float x) {
    return clampInt(nearestInt(x / p.step[s]), -32, 31) + 32;
  }
  // ggml: d * sc * q, i.e. (d * sc) * q, and step is d * sc.
  static float value(float step, float, int level) { return step * (level - 32); }
  static void unpack(const uint8_t* b, uint8_t* L) {
    for (int j = 0; j < kCols; j += 128) {
      const uint8_t* ql = b + j / 2;
      const uint8_t* qh = b + 128 + j / 4;
      for (int l = 0; l < 32; ++l) {
        L[j + l] = (ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4);
        L[j + l + 32] = (ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4);
        L[j + l + 64] = (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4);
        L[j + l + 96] = (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4);
      }
    }
  }
  static void pack(const uint8_t* L, uint8_t* b) {
    for (int j = 0; j < kCols; j += 128) {
      uint8_t* ql = b + j / 2;
      uint8_t* qh = b + 128 + j / 4;
      for (int l = 0; l < 32; ++l) {
        ql[l] = (L[j + l] & 0xF) | ((L[j + l + 64] & 0xF) << 4);
        ql[l + 32] = (L[j + l + 32] & 0xF) | ((L[j + l + 96] & 0xF) << 4);
        qh[l] = (L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) |
                ((L[j + l + 96] >> 4) << 6);
      }
    }
  }
};

// IQ4_XS: d @0, scales_h @2 (u16, 2 bits per sub-block), scales_l[4] @4 (4 bits per sub-block),
// qs[128] @8 (of each 32 columns, byte l holds column l low and l + 16 high). Levels index
// llama.cpp's 16 non-uniform values. llama.cpp's final pass picks levels with the fp32
// super-block scale before it is rounded to fp16, and only the fp16 one is in the block: refine()
// recovers an fp32 scale that gives the levels llama.cpp chose (the one it used lies within half
// an fp16 step of the stored one), so round() assigns exactly as llama.cpp does. Its decision
// boundaries are therefore off the stored values' midpoints by up to that half step (2^-11
// relative; more where the fp16 scale is subnormal, as in most layers with small weights).
struct IQ4XS {
  static constexpr ggml_type type = GGML_TYPE_IQ4_XS;
  static constexpr size_t bytes = 136;
  static constexpr int sub = 32;
  static constexpr int8_t values[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                        1,    13,   25,  38,  53,  69,  89,  113};
  static int code(const uint8_t* b, int ib) {
    uint16_t h;
    std::memcpy(&h, b + 2, sizeof h);
    return (((b[4 + ib / 2] >> (4 * (ib % 2))) & 0xF) | (((h >> (2 * ib)) & 3) << 4)) - 32;
  }
  static void scales(const uint8_t* b, float* step, float* offset) {
    const float d = half(b);
    for (int ib = 0; ib < 8; ++ib) {
      step[ib] = d * code(b, ib);
      offset[ib] = 0;
    }
  }
  // llama.cpp's best_index_int8 over the 16 values.
  static int nearestValue(float v) {
    if (v <= values[0]) return 0;
    if (v >= values[15]) return 15;
    int lo = 0, hi = 15;
    while (hi - lo > 1) {
      const int mid = (lo + hi) / 2;
      if (v < values[mid]) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return v - values[hi - 1] < values[hi] - v ? hi - 1 : hi;
  }
  // The final pass: idl = 1 / (d * l), level = best_index(idl * x).
  static void setAssign(Params& p, float d) {
    for (int ib = 0; ib < 8; ++ib) {
      const float dl = d * code(p.block, ib);
      p.assign[ib] = dl != 0 ? 1 / dl : 0.f;
    }
  }
  // Where the fp32 scale of magnitude a stands against the fitted levels: bit 0 set when some
  // column shows it is too small, bit 1 when some column shows it is too large (0: it gives
  // them all). A larger |d| moves idl * x towards 0, so each column's level moves monotonically.
  static int side(Params& p, float sign, float a, const float* x) {
    setAssign(p, sign * a);
    int flags = 0;
    for (int j = 0; j < kCols; ++j) {
      const float idl = p.assign[j / sub];
      const float v = idl * x[j];
      if (idl == 0 || v == 0) continue;
      const int l = nearestValue(v), want = p.fitted[j];
      // v > 0 falls as a grows, so a level above the fitted one means a is still too small.
      if (l != want) flags |= (v > 0) == (l > want) ? 1 : 2;
    }
    return flags;
  }
  static float floatOf(uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
  }
  static uint32_t bitsOf(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
  }
  // Picks the scale nearest the stored one that gives every fitted level, so round() follows
  // llama.cpp and strays from the stored grid's midpoints as little as it can.
  static void refine(Params& p, const float* x) {
    const float d16 = half(p.block);
    setAssign(p, d16);
    if (d16 == 0 || !std::isfinite(d16)) return;
    const float sign = d16 < 0 ? -1.f : 1.f;
    const float a16 = std::fabs(d16);
    const uint32_t at = bitsOf(a16);
    const int there = side(p, sign, a16, x);
    // fp16 rounding moved llama.cpp's scale by at most 2^-11 of it, or 2^-25 where fp16 is
    // subnormal (most small layers' IQ4_XS scales are); search twice that (positive floats order
    // as their bits).
    const float h = std::fmax(a16 * 0x1p-10f, 0x1p-24f);
    const uint32_t below = bitsOf(std::fmax(a16 - h, 0x1p-60f)), above = bitsOf(a16 + h);
    uint32_t found = at;
    if (there == 1) {
      // Too small: the smallest larger magnitude no column finds too small.
      uint32_t lo = at + 1, hi = above;
      while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2;
        if (side(p, sign, floatOf(mid), x) & 1) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      found = lo;
    } else if (there == 2) {
      // Too large: the largest smaller magnitude no column finds too large.
      uint32_t lo = below, hi = at - 1;
      while (lo < hi) {
        const uint32_t mid = hi - (hi - lo) / 2;
        if (side(p, sign, floatOf(mid), x) & 2) {
          hi = mid - 1;
        } else {
          lo = mid;
        }
      }
      found = lo;
    }
    // No scale gives every fitted level (not llama.cpp's search after all): the stored one.
    if (there != 0 && side(p, sign, floatOf(found), x) != 0) found = at;
    setAssign(p, sign * floatOf(found));
  }
  static int level(const Params& p, int s, float x) { return nearestValue(p.assign[s] * x); }
  static float value(float step, float, int level) { return step * values[level]; }
  static void unpack(const uint8_t* b, uint8_t* L) {
    for (int i = 0; i < 8; ++i) {
      for (int l = 0; l < 16; ++l) {
        L[32 * i + l] = b[8 + 16 * i + l] & 0xF;
        L[32 * i + 16 + l] = b[8 + 16 * i + l] >> 4;
      }
    }
  }
  static void pack(const uint8_t* L, uint8_t* b) {
    for (int i = 0; i < 8; ++i) {
      for (int l = 0; l < 16; ++l) {
        b[8 + 16 * i + l] = (L[32 * i + l] & 0xF) | ((L[32 * i + 16 + l] & 0xF) << 4);
      }
    }
  }
};

template <typename T>
void fit(const float* x, const float* w, int sub, void* params) {
  (void)sub;  // fit_cols == block_cols: one fit per block
  auto* p = static_cast<Params*>(params);
  std::memset(p, 0, sizeof *p);
  ggml_quantize_chunk(T::type, x, p->block, 0, 1, kCols, w);
  T::scales(p->block, p->step, p->offset);
  T::unpack(p->block, p->fitted);
  T::refine(*p, x);
}

template <typename T>
float roundColumn(const void* params, int j, float x, int32_t* level) {
  const auto* p = static_cast<const Params*>(params);
  const int s = j / T::sub;
  const float step = p->step[s];
  const int l = step == 0 ? p->fitted[j] : T::level(*p, s, x);
  *level = l;
  return T::value(step, p->offset[s], l);
}

template <typename T>
void encode(const void* params, const int32_t* levels, void* dst) {
  const auto* p = static_cast<const Params*>(params);
  uint8_t L[kCols];
  for (int j = 0; j < kCols; ++j) L[j] = static_cast<uint8_t>(levels[j]);
  auto* out = static_cast<uint8_t*>(dst);
  std::memcpy(out, p->block, T::bytes);
  T::pack(L, out);
}

template <typename T>
constexpr Grid gridOf() {
  static_assert(T::bytes <= sizeof(Params::block));
  return Grid{T::type, kCols, kCols, sizeof(Params), fit<T>, roundColumn<T>, encode<T>};
}

const Grid kQ2K = gridOf<Q2K>();
const Grid kQ3K = gridOf<Q3K>();
const Grid kQ4K = gridOf<Q4K>();
const Grid kQ5K = gridOf<Q5K>();
const Grid kQ6K = gridOf<Q6K>();
const Grid kIQ4XS = gridOf<IQ4XS>();

}  // namespace

const Grid* kquantGridFor(enum ggml_type type) {
  switch (type) {
    case GGML_TYPE_Q2_K:
      return &kQ2K;
    case GGML_TYPE_Q3_K:
      return &kQ3K;
    case GGML_TYPE_Q4_K:
      return &kQ4K;
    case GGML_TYPE_Q5_K:
      return &kQ5K;
    case GGML_TYPE_Q6_K:
      return &kQ6K;
    case GGML_TYPE_IQ4_XS:
      return &kIQ4XS;
    default:
      return nullptr;
  }
}

}  // namespace lowbit::gptq
