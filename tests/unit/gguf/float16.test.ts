import { describe, expect, it } from "vitest";
import {
  float16BitsToFloat32,
  float16BufferToFloat32,
  float32ToFloat16Bits,
  float32ToFloat16Buffer,
} from "../../../src-main/services/gguf/float16.js";
import { seededRandom } from "../../../src-main/services/gguf/seededRandom.js";

/** The value of each positive finite f16 pattern, straight from the IEEE 754 definition. */
const positiveF16 = Array.from({ length: 0x7c00 }, (_, bits) => {
  const e = bits >> 10;
  const m = bits & 0x3ff;
  return e === 0 ? m * 2 ** -24 : (1024 + m) * 2 ** (e - 25);
});

/**
 * Reference conversion by search: the nearest f16 value, ties to the even bit pattern, and
 * infinity from 65520 (halfway between the largest f16, 65504, and the next step, 65536).
 */
function referenceF16(x: number, negative: boolean): number {
  const sign = negative ? 0x8000 : 0;
  if (Number.isNaN(x)) {
    return sign | 0x7e00;
  }
  const a = Math.abs(x);
  if (a >= 65520) {
    return sign | 0x7c00;
  }
  let lo = 0;
  let hi = positiveF16.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (positiveF16[mid]! <= a) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  const below = a - positiveF16[lo]!;
  const above = positiveF16[hi]! - a;
  const pick = below < above ? lo : above < below ? hi : lo % 2 === 0 ? lo : hi;
  return sign | (a >= positiveF16[hi]! ? hi : pick);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const fromBits = (bits: number) => {
  u32[0] = bits >>> 0;
  return f32[0]!;
};
const hex = (n: number) => `0x${n.toString(16).padStart(4, "0")}`;

describe("float16", () => {
  it("converts landmark values exactly", () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff], // largest finite
      [65519, 0x7bff], // rounds down
      [65520, 0x7c00], // halfway to 65536: ties to even = infinity
      [1e6, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // halfway to the smallest subnormal: ties to even = zero
      [fromBits(0x33000001), 0x0001], // just above that halfway point
      [3 * 2 ** -25, 0x0002], // halfway between 1 and 2 subnormal steps: to even (2)
      [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next f16: to even (1)
      [1 + 3 * 2 ** -11, 0x3c02], // halfway, odd below: up
      [1e-10, 0x0000],
      [0.1, 0x2e66],
      [1 / 3, 0x3555],
    ];
    for (const [value, bits] of cases) {
      expect(hex(float32ToFloat16Bits(value)), `f16(${value})`).toBe(hex(bits));
    }
  });

  it("turns NaN into a quiet NaN, keeping the sign", () => {
    expect(float32ToFloat16Bits(NaN)).toBe(0x7e00);
    expect(float32ToFloat16Bits(fromBits(0xffc00001))).toBe(0xfe00);
    expect(float16BitsToFloat32(0x7e00)).toBeNaN();
    expect(float16BitsToFloat32(0x7c01)).toBeNaN();
  });

  it("round-trips every one of the 65536 f16 bit patterns", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = float16BitsToFloat32(bits);
      if (Number.isNaN(value)) {
        expect((bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0).toBe(true);
        continue;
      }
      const back = float32ToFloat16Bits(value);
      if (back !== bits) {
        expect(hex(back), `round trip of ${hex(bits)} (${value})`).toBe(hex(bits));
      }
    }
  });

  it("rounds every halfway point to even, and its neighbours to the nearest", () => {
    for (let bits = 0; bits < 0x7bff; bits++) {
      const mid = (positiveF16[bits]! + positiveF16[bits + 1]!) / 2;
      u32[0] = 0;
      f32[0] = mid;
      expect(f32[0], "midpoints are exact in float32").toBe(mid);
      const midBits = u32[0]!;
      const even = bits % 2 === 0 ? bits : bits + 1;
      const got = [
        float32ToFloat16Bits(mid),
        float32ToFloat16Bits(fromBits(midBits - 1)),
        float32ToFloat16Bits(fromBits(midBits + 1)),
      ];
      if (got[0] !== even || got[1] !== bits || got[2] !== bits + 1) {
        expect(got.map(hex), `around the midpoint above ${hex(bits)}`).toEqual(
          [even, bits, bits + 1].map(hex),
        );
      }
    }
  });

  it("agrees with a search-based reference on 300k random float32 bit patterns", () => {
    const random = seededRandom(42);
    for (let i = 0; i < 300_000; i++) {
      const bits = Math.floor(random() * 2 ** 32);
      const value = fromBits(bits);
      const got = float32ToFloat16Bits(value);
      const want = referenceF16(value, bits >= 2 ** 31);
      if (got !== want) {
        expect(hex(got), `f16(${value})`).toBe(hex(want));
      }
    }
  });

  it("packs little-endian buffers and reads them back", () => {
    const values = [1, -2, 0.5, 65504, 2 ** -24];
    const bytes = float32ToFloat16Buffer(values);
    expect([...bytes.subarray(0, 4)]).toEqual([0x00, 0x3c, 0x00, 0xc0]);
    expect([...float16BufferToFloat32(bytes)]).toEqual(values);
  });
});
