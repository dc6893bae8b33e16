/** IEEE half ↔ single precision, as ggml's GGML_FP32_TO_FP16 / GGML_FP16_TO_FP32 (round to nearest even). */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Every half's value, so decoding a row is one lookup per element. */
export const HALF_TO_FLOAT: Float32Array = (() => {
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    table[h] =
      exp === 0
        ? sign * mant * 2 ** -24
        : exp === 0x1f
          ? mant === 0
            ? sign * Infinity
            : NaN
          : sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return table;
})();

export function halfToFloat(h: number): number {
  return HALF_TO_FLOAT[h & 0xffff]!;
}

export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) {
    return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  }
  const e = exp - 127 + 15;
  if (e >= 0x1f) {
    return sign | 0x7c00;
  }
  if (e <= 0) {
    if (e < -10) {
      return sign;
    }
    // Subnormal half: shift the mantissa (with its implicit bit) into place, rounding to even.
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && (h & 1) === 1)) {
      h++;
    }
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) {
    h++; // may carry into the exponent, up to infinity: what rounding asks for
  }
  return sign | h;
}

/** bf16 is the top half of an f32 (ggml_compute_fp32_to_bf16 rounds to nearest even). */
export function floatToBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7fffffff) > 0x7f800000) {
    return ((bits >>> 16) | 64) & 0xffff;
  }
  return ((bits + (0x7fff + ((bits >>> 16) & 1))) >>> 16) & 0xffff;
}

export function bf16ToFloat(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0]!;
}
