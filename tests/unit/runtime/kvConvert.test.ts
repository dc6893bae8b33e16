import { describe, expect, it } from "vitest";
import {
  floatToBf16,
  floatToHalf,
  halfToFloat,
} from "../../../src-main/services/runtime/ggmlHalf.js";
import { quantizeRow, rowSize, rowTypeId } from "../../../src-main/services/runtime/ggmlRows.js";
import { hadamardInPlace, kvRotation } from "../../../src-main/services/runtime/hadamard.js";
import {
  convertSeqState,
  parseSeqState,
  readRow,
  SEQ_STATE_MAGIC,
  SEQ_STATE_VERSION,
} from "../../../src-main/services/runtime/kvStateFile.js";

describe("half precision", () => {
  it("rounds to nearest even like ggml, with subnormals and overflow", () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(1 / 3)).toBe(0x3555);
    expect(floatToHalf(-2)).toBe(0xc000);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00); // halfway to the next binade rounds up: infinity
    expect(floatToHalf(2 ** -24)).toBe(0x0001);
    expect(floatToHalf(2 ** -26)).toBe(0x0000);
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // a tie goes to the even mantissa
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    for (const h of [0x0001, 0x03ff, 0x0400, 0x3c00, 0x7bff, 0xfbff, 0x8001]) {
      expect(floatToHalf(halfToFloat(h))).toBe(h);
    }
    expect(floatToBf16(1)).toBe(0x3f80);
    expect(floatToBf16(1 + 2 ** -8)).toBe(0x3f80);
    expect(floatToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
  });
});

describe("llama.cpp's Hadamard rotation", () => {
  it("is ggml_gen_hadamard's matrix, orthonormal and its own inverse", () => {
    const n = 8;
    // ggml_gen_hadamard: Sylvester construction scaled by 1/√n.
    const h = new Float64Array(n * n);
    h[0] = 1 / Math.sqrt(n);
    for (let s = 1; s < n; s *= 2) {
      for (let i = 0; i < s; i++) {
        for (let j = 0; j < s; j++) {
          const v = h[i * n + j]!;
          h[(i + s) * n + j] = v;
          h[i * n + j + s] = v;
          h[(i + s) * n + j + s] = -v;
        }
      }
    }
    const x = Float32Array.from({ length: 2 * n }, (_, i) => Math.sin(i + 1));
    const y = x.slice();
    hadamardInPlace(y, 2 * n, n);
    for (let run = 0; run < 2; run++) {
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let j = 0; j < n; j++) {
          sum += h[i * n + j]! * x[run * n + j]!;
        }
        expect(y[run * n + i]).toBeCloseTo(sum, 6);
      }
    }
    hadamardInPlace(y, 2 * n, n);
    y.forEach((v, i) => expect(v).toBeCloseTo(x[i]!, 6));
  });

  it("applies where llama.cpp applies it, in runs of the sizes it uses", () => {
    const env = {};
    expect(kvRotation("k", true, 64, env)).toBe(64);
    expect(kvRotation("k", true, 128, env)).toBe(128);
    expect(kvRotation("k", true, 192, env)).toBe(64);
    expect(kvRotation("k", true, 256, env)).toBe(256);
    expect(kvRotation("v", true, 128, env)).toBe(64);
    expect(kvRotation("k", true, 96, env)).toBe(0);
    expect(kvRotation("k", true, 32, env)).toBe(0);
    expect(kvRotation("k", false, 128, env)).toBe(0);
    expect(kvRotation("k", true, 128, { LLAMA_ATTN_ROT_DISABLE: "1" })).toBe(0);
    expect(kvRotation("k", true, 128, { LLAMA_ATTN_ROT_DISABLE: "0" })).toBe(128);
  });
});

/** A one-stream, one-layer state file as llama.cpp writes it: f16 K and V, V transposed or not. */
function stateFile(
  cells: number,
  embd: number,
  vTrans: boolean,
  value: (c: number, j: number) => number,
) {
  const parts: number[] = [];
  const u32 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  const u64 = (v: number) => {
    u32(v);
    u32(0);
  };
  const half = (x: number) => {
    const h = floatToHalf(x);
    parts.push(h & 0xff, h >>> 8);
  };
  u32(SEQ_STATE_MAGIC);
  u32(SEQ_STATE_VERSION);
  u32(cells);
  for (let c = 0; c < cells; c++) {
    u32(100 + c);
  }
  u32(1); // streams
  u32(cells);
  for (let c = 0; c < cells; c++) {
    u32(c); // pos
    u32(1);
    u32(0); // seq 0
  }
  u32(vTrans ? 1 : 0);
  u32(1); // layers
  u32(rowTypeId("f16"));
  u64(embd * 2);
  for (let c = 0; c < cells; c++) {
    for (let j = 0; j < embd; j++) {
      half(value(c, j));
    }
  }
  u32(rowTypeId("f16"));
  if (vTrans) {
    u32(2);
    u32(embd);
    for (let j = 0; j < embd; j++) {
      for (let c = 0; c < cells; c++) {
        half(-value(c, j));
      }
    }
  } else {
    u64(embd * 2);
    for (let c = 0; c < cells; c++) {
      for (let j = 0; j < embd; j++) {
        half(-value(c, j));
      }
    }
  }
  return Uint8Array.from(parts);
}

describe("sequence state conversion", () => {
  const cells = 5;
  const embd = 128;
  const value = (c: number, j: number) => Math.sin(c * 7 + j * 0.3) * (1 + (j % 5));
  const heads = { headDimK: 64, headDimV: 64, env: {} };

  it("keeps tokens and cells, rotates and quantizes K and V, and transposes V both ways", () => {
    const source = stateFile(cells, embd, true, value);
    const q8 = convertSeqState(source, { k: "q8_0", v: "q8_0", vTrans: false }, heads);
    expect(q8.from).toEqual({ k: "f16", v: "f16", vTrans: true });
    expect(q8.tokens).toBe(cells);
    const parsed = parseSeqState(q8.bytes);
    const stream = parsed.streams[0]!;
    expect(stream).toMatchObject({ cells, vTrans: false });
    expect(stream.k[0]).toMatchObject({ type: "q8_0", embd });
    // Tokens and cell bookkeeping are copied byte for byte.
    expect(q8.bytes.subarray(0, stream.metaEnd)).toEqual(source.subarray(0, stream.metaEnd));
    // The stored K rows are the rotated values quantized: what llama.cpp would have written.
    const rotated = Float32Array.from({ length: embd }, (_, j) =>
      halfToFloat(floatToHalf(value(2, j))),
    );
    hadamardInPlace(rotated, embd, 64);
    const expected = new Uint8Array(rowSize("q8_0", embd));
    quantizeRow("q8_0", rotated, embd, expected, 0);
    const at = stream.k[0]!.offset + 2 * rowSize("q8_0", embd);
    expect(q8.bytes.subarray(at, at + expected.length)).toEqual(expected);

    // And back to f16 with V transposed: within q8_0's error of the original.
    const back = convertSeqState(q8.bytes, { k: "f16", v: "f16", vTrans: true }, heads);
    expect(back.bytes.byteLength).toBe(source.byteLength);
    const again = parseSeqState(back.bytes).streams[0]!;
    const row = new Float32Array(embd);
    for (let c = 0; c < cells; c++) {
      readRow(back.bytes, again.v[0]!, cells, c, row, 0);
      for (let j = 0; j < embd; j++) {
        expect(Math.abs(row[j]! + value(c, j))).toBeLessThan(0.1); // 2 % of the largest value
      }
    }
  });

  it("copies what does not change and refuses a quantized V stored transposed", () => {
    const source = stateFile(cells, embd, false, value);
    const same = convertSeqState(source, { k: "f16", v: "f16", vTrans: false }, heads);
    expect(same.bytes).toEqual(source);
    expect(() => convertSeqState(source, { k: "f16", v: "q4_0", vTrans: true }, heads)).toThrow(
      /needs flash attention/,
    );
  });
});
