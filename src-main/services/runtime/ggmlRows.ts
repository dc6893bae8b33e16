import { bf16ToFloat, floatToBf16, floatToHalf, HALF_TO_FLOAT } from "./ggmlHalf.js";

/**
 * Rows of the ggml types a KV cache can hold, encoded and decoded the way ggml's reference
 * functions do (`ggml-quants.c` quantize_row_*_ref / dequantize_row_*, `ggml.c` fp16/bf16):
 * what a cache conversion needs without a native helper.
 */
export type RowType =
  "f32" | "f16" | "bf16" | "q8_0" | "q5_1" | "q5_0" | "q4_1" | "q4_0" | "iq4_nl";

interface RowTypeInfo {
  id: number;
  blockSize: number;
  blockBytes: number;
}

const INFO: Record<RowType, RowTypeInfo> = {
  f32: { id: 0, blockSize: 1, blockBytes: 4 },
  f16: { id: 1, blockSize: 1, blockBytes: 2 },
  q4_0: { id: 2, blockSize: 32, blockBytes: 18 },
  q4_1: { id: 3, blockSize: 32, blockBytes: 20 },
  q5_0: { id: 6, blockSize: 32, blockBytes: 22 },
  q5_1: { id: 7, blockSize: 32, blockBytes: 24 },
  q8_0: { id: 8, blockSize: 32, blockBytes: 34 },
  iq4_nl: { id: 20, blockSize: 32, blockBytes: 18 },
  bf16: { id: 30, blockSize: 1, blockBytes: 2 },
};

/** ggml's non-linear 4-bit grid (`kvalues_iq4nl`). */
const IQ4_NL_VALUES = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

export function rowTypeId(type: RowType): number {
  return INFO[type].id;
}

export function rowTypeFromId(id: number): RowType | null {
  for (const [name, info] of Object.entries(INFO)) {
    if (info.id === id) {
      return name as RowType;
    }
  }
  return null;
}

export function isQuantizedRow(type: RowType): boolean {
  return INFO[type].blockSize > 1;
}

export function rowBlockSize(type: RowType): number {
  return INFO[type].blockSize;
}

/** Bytes of one element of a plain type, or of one block of a quantized one (ggml_type_size). */
export function rowTypeSize(type: RowType): number {
  return INFO[type].blockBytes;
}

/** ggml_row_size: bytes of `n` values (n a multiple of the block size). */
export function rowSize(type: RowType, n: number): number {
  const info = INFO[type];
  if (n % info.blockSize !== 0) {
    throw new Error(`a ${type} row needs a multiple of ${info.blockSize} values, not ${n}`);
  }
  return (n / info.blockSize) * info.blockBytes;
}

const fr = Math.fround;

function half(src: Uint8Array, at: number): number {
  return HALF_TO_FLOAT[src[at]! | (src[at + 1]! << 8)]!;
}

function putHalf(dst: Uint8Array, at: number, x: number): void {
  const h = floatToHalf(x);
  dst[at] = h & 0xff;
  dst[at + 1] = h >>> 8;
}

/** C's roundf: halves away from zero. */
function roundAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Decodes `n` values of `type` starting at `src[at]` into `dst[0..n)`. */
export function dequantizeRow(
  type: RowType,
  src: Uint8Array,
  at: number,
  dst: Float32Array,
  n: number,
): void {
  switch (type) {
    case "f32": {
      const view = new DataView(src.buffer, src.byteOffset + at, n * 4);
      for (let i = 0; i < n; i++) {
        dst[i] = view.getFloat32(i * 4, true);
      }
      return;
    }
    case "f16":
      for (let i = 0; i < n; i++) {
        dst[i] = half(src, at + 2 * i);
      }
      return;
    case "bf16":
      for (let i = 0; i < n; i++) {
        dst[i] = bf16ToFloat(src[at + 2 * i]! | (src[at + 2 * i + 1]! << 8));
      }
      return;
  }
  const blocks = n / 32;
  for (let b = 0; b < blocks; b++) {
    const y = b * 32;
    switch (type) {
      case "q8_0": {
        const o = at + b * 34;
        const d = half(src, o);
        for (let j = 0; j < 32; j++) {
          dst[y + j] = ((src[o + 2 + j]! << 24) >> 24) * d;
        }
        break;
      }
      case "q4_0": {
        const o = at + b * 18;
        const d = half(src, o);
        for (let j = 0; j < 16; j++) {
          const q = src[o + 2 + j]!;
          dst[y + j] = ((q & 0x0f) - 8) * d;
          dst[y + j + 16] = ((q >> 4) - 8) * d;
        }
        break;
      }
      case "q4_1": {
        const o = at + b * 20;
        const d = half(src, o);
        const m = half(src, o + 2);
        for (let j = 0; j < 16; j++) {
          const q = src[o + 4 + j]!;
          dst[y + j] = (q & 0x0f) * d + m;
          dst[y + j + 16] = (q >> 4) * d + m;
        }
        break;
      }
      case "q5_0": {
        const o = at + b * 22;
        const d = half(src, o);
        const qh = src[o + 2]! | (src[o + 3]! << 8) | (src[o + 4]! << 16) | (src[o + 5]! << 24);
        for (let j = 0; j < 16; j++) {
          const q = src[o + 6 + j]!;
          const h0 = ((qh >>> j) << 4) & 0x10;
          const h1 = (qh >>> (j + 12)) & 0x10;
          dst[y + j] = (((q & 0x0f) | h0) - 16) * d;
          dst[y + j + 16] = (((q >> 4) | h1) - 16) * d;
        }
        break;
      }
      case "q5_1": {
        const o = at + b * 24;
        const d = half(src, o);
        const m = half(src, o + 2);
        const qh = src[o + 4]! | (src[o + 5]! << 8) | (src[o + 6]! << 16) | (src[o + 7]! << 24);
        for (let j = 0; j < 16; j++) {
          const q = src[o + 8 + j]!;
          const h0 = ((qh >>> j) << 4) & 0x10;
          const h1 = (qh >>> (j + 12)) & 0x10;
          dst[y + j] = ((q & 0x0f) | h0) * d + m;
          dst[y + j + 16] = ((q >> 4) | h1) * d + m;
        }
        break;
      }
      case "iq4_nl": {
        const o = at + b * 18;
        const d = half(src, o);
        for (let j = 0; j < 16; j++) {
          const q = src[o + 2 + j]!;
          dst[y + j] = d * IQ4_NL_VALUES[q & 0x0f]!;
          dst[y + j + 16] = d * IQ4_NL_VALUES[q >> 4]!;
        }
        break;
      }
    }
  }
}

/** Encodes `src[0..n)` as `type` into `dst` from `dst[at]`. */
export function quantizeRow(
  type: RowType,
  src: Float32Array,
  n: number,
  dst: Uint8Array,
  at: number,
): void {
  switch (type) {
    case "f32": {
      const view = new DataView(dst.buffer, dst.byteOffset + at, n * 4);
      for (let i = 0; i < n; i++) {
        view.setFloat32(i * 4, src[i]!, true);
      }
      return;
    }
    case "f16":
      for (let i = 0; i < n; i++) {
        putHalf(dst, at + 2 * i, src[i]!);
      }
      return;
    case "bf16":
      for (let i = 0; i < n; i++) {
        const h = floatToBf16(src[i]!);
        dst[at + 2 * i] = h & 0xff;
        dst[at + 2 * i + 1] = h >>> 8;
      }
      return;
  }
  const blocks = n / 32;
  for (let b = 0; b < blocks; b++) {
    const x = b * 32;
    switch (type) {
      case "q8_0":
        quantizeQ8_0(src, x, dst, at + b * 34);
        break;
      case "q4_0":
        quantizeQ4_0(src, x, dst, at + b * 18);
        break;
      case "q4_1":
        quantizeQ4_1(src, x, dst, at + b * 20);
        break;
      case "q5_0":
        quantizeQ5_0(src, x, dst, at + b * 22);
        break;
      case "q5_1":
        quantizeQ5_1(src, x, dst, at + b * 24);
        break;
      case "iq4_nl":
        quantizeIq4Nl(src, x, dst, at + b * 18);
        break;
    }
  }
}

function quantizeQ8_0(x: Float32Array, xo: number, y: Uint8Array, o: number): void {
  let amax = 0;
  for (let j = 0; j < 32; j++) {
    amax = Math.max(amax, Math.abs(x[xo + j]!));
  }
  const d = fr(amax / 127);
  const id = d !== 0 ? fr(1 / d) : 0;
  putHalf(y, o, d);
  for (let j = 0; j < 32; j++) {
    y[o + 2 + j] = roundAway(fr(x[xo + j]! * id)) & 0xff;
  }
}

/** The value of largest magnitude, with its sign (the symmetric types' scale comes from it). */
function signedMax(x: Float32Array, xo: number): number {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < 32; j++) {
    const v = x[xo + j]!;
    if (amax < Math.abs(v)) {
      amax = Math.abs(v);
      max = v;
    }
  }
  return max;
}

function quantizeQ4_0(x: Float32Array, xo: number, y: Uint8Array, o: number): void {
  const d = fr(signedMax(x, xo) / -8);
  const id = d !== 0 ? fr(1 / d) : 0;
  putHalf(y, o, d);
  for (let j = 0; j < 16; j++) {
    const q0 = Math.min(15, Math.trunc(fr(fr(x[xo + j]! * id) + 8.5)));
    const q1 = Math.min(15, Math.trunc(fr(fr(x[xo + 16 + j]! * id) + 8.5)));
    y[o + 2 + j] = q0 | (q1 << 4);
  }
}

function minMax(x: Float32Array, xo: number): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let j = 0; j < 32; j++) {
    const v = x[xo + j]!;
    if (v < min) {
      min = v;
    }
    if (v > max) {
      max = v;
    }
  }
  return [min, max];
}

function quantizeQ4_1(x: Float32Array, xo: number, y: Uint8Array, o: number): void {
  const [min, max] = minMax(x, xo);
  const d = fr((max - min) / 15);
  const id = d !== 0 ? fr(1 / d) : 0;
  putHalf(y, o, d);
  putHalf(y, o + 2, min);
  for (let j = 0; j < 16; j++) {
    const q0 = Math.min(15, Math.trunc(fr(fr(fr(x[xo + j]! - min) * id) + 0.5)));
    const q1 = Math.min(15, Math.trunc(fr(fr(fr(x[xo + 16 + j]! - min) * id) + 0.5)));
    y[o + 4 + j] = q0 | (q1 << 4);
  }
}

function putU32(y: Uint8Array, o: number, v: number): void {
  y[o] = v & 0xff;
  y[o + 1] = (v >>> 8) & 0xff;
  y[o + 2] = (v >>> 16) & 0xff;
  y[o + 3] = (v >>> 24) & 0xff;
}

function quantizeQ5_0(x: Float32Array, xo: number, y: Uint8Array, o: number): void {
  const d = fr(signedMax(x, xo) / -16);
  const id = d !== 0 ? fr(1 / d) : 0;
  putHalf(y, o, d);
  let qh = 0;
  for (let j = 0; j < 16; j++) {
    const q0 = Math.min(31, Math.trunc(fr(fr(x[xo + j]! * id) + 16.5)));
    const q1 = Math.min(31, Math.trunc(fr(fr(x[xo + 16 + j]! * id) + 16.5)));
    y[o + 6 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
    qh |= ((q0 & 0x10) >> 4) << j;
    qh |= ((q1 & 0x10) >> 4) << (j + 16);
  }
  putU32(y, o + 2, qh);
}

function quantizeQ5_1(x: Float32Array, xo: number, y: Uint8Array, o: number): void {
  const [min, max] = minMax(x, xo);
  const d = fr((max - min) / 31);
  const id = d !== 0 ? fr(1 / d) : 0;
  putHalf(y, o, d);
  putHalf(y, o + 2, min);
  let qh = 0;
  for (let j = 0; j < 16; j++) {
    // (uint8_t) in the reference: truncation, no clamp (the values stay within 0..31).
    const q0 = Math.trunc(fr(fr(fr(x[xo + j]! - min) * id) + 0.5)) & 0xff;
    const q1 = Math.trunc(fr(fr(fr(x[xo + 16 + j]! - min) * id) + 0.5)) & 0xff;
    y[o + 8 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
    qh |= ((q0 & 0x10) >> 4) << j;
    qh |= ((q1 & 0x10) >> 4) << (j + 16);
  }
  putU32(y, o + 4, qh);
}

/** ggml's best_index_int8: the nearest grid value (ties to the lower one). */
function nearestIq4(v: number): number {
  const val = IQ4_NL_VALUES;
  if (v <= val[0]!) {
    return 0;
  }
  if (v >= val[15]!) {
    return 15;
  }
  let lo = 0;
  let hi = 15;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (v < val[mid]!) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return v - val[hi - 1]! < val[hi]! - v ? hi - 1 : hi;
}

const iqLevels = new Uint8Array(32);

/** quantize_row_iq4_nl_ref: one block, no importance weights, no extra scale search. */
function quantizeIq4Nl(x: Float32Array, xo: number, y: Uint8Array, o: number): void {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < 32; j++) {
    const ax = Math.abs(x[xo + j]!);
    if (ax > amax) {
      amax = ax;
      max = x[xo + j]!;
    }
  }
  let d = 0;
  iqLevels.fill(0);
  if (amax >= 1e-15) {
    const id = fr(1 / fr(max / IQ4_NL_VALUES[0]!));
    let sumqx = 0;
    let sumq2 = 0;
    for (let j = 0; j < 32; j++) {
      const v = x[xo + j]!;
      const l = nearestIq4(fr(id * v));
      iqLevels[j] = l;
      const q = IQ4_NL_VALUES[l]!;
      const w = fr(v * v);
      sumqx = fr(sumqx + fr(fr(w * q) * v));
      sumq2 = fr(sumq2 + fr(fr(w * q) * q));
    }
    d = sumq2 > 0 ? fr(sumqx / sumq2) : 0;
  }
  putHalf(y, o, d);
  for (let j = 0; j < 16; j++) {
    y[o + 2 + j] = iqLevels[j]! | (iqLevels[16 + j]! << 4);
  }
}
