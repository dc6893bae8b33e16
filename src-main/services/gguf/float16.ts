/**
 * IEEE 754 binary16 ("f16", ggml's GGML_TYPE_F16) conversions, bit-exact with rounding to
 * nearest, ties to even. Inputs are rounded to float32 first, as ggml converts from float.
 */
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** The f16 bit pattern nearest to `value` (after rounding `value` to float32). */
export function float32ToFloat16Bits(value: number): number {
  scratchF32[0] = value;
  const bits = scratchU32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;

  if (exponent === 0xff) {
    // ggml's software path also turns every NaN into this one quiet NaN.
    return mantissa === 0 ? sign | 0x7c00 : sign | 0x7e00;
  }
  if (exponent >= 143) {
    return sign | 0x7c00; // beyond 65520: infinity
  }
  if (exponent >= 113) {
    // Normal f16: keep 10 of 23 mantissa bits. A carry out of the mantissa bumps the exponent,
    // which is exactly right (and turns 65520 into infinity).
    return sign | (((exponent - 112) << 10) + roundShift(mantissa, 13));
  }
  if (exponent <= 101) {
    return sign; // below half the smallest subnormal (2^-25): zero
  }
  // Subnormal f16: the value in units of 2^-24, from the 24-bit significand.
  return sign | roundShift(mantissa | 0x800000, 126 - exponent);
}

/** `value >> shift`, rounded to nearest with ties to even. */
function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/** The number an f16 bit pattern stands for. */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) {
    return sign * mantissa * 2 ** -24;
  }
  if (exponent === 0x1f) {
    return mantissa === 0 ? sign * Infinity : NaN;
  }
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Little-endian f16 bytes for a list of values, as stored in a GGUF F16 tensor. */
export function float32ToFloat16Buffer(values: ArrayLike<number>): Buffer {
  const out = Buffer.alloc(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    out.writeUInt16LE(float32ToFloat16Bits(values[i]!), i * 2);
  }
  return out;
}

/** Values of a little-endian f16 buffer. */
export function float16BufferToFloat32(bytes: Uint8Array): Float32Array {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(Math.floor(bytes.byteLength / 2));
  for (let i = 0; i < out.length; i++) {
    out[i] = float16BitsToFloat32(view.readUInt16LE(i * 2));
  }
  return out;
}
