import { describe, expect, it } from "vitest";
import { ByteWriter } from "../../../src-main/services/gguf/byteWriter.js";

describe("ByteWriter", () => {
  // Each write lands across the point where the buffer has to grow (64 KiB).
  const cases: [string, (w: ByteWriter) => void, (b: Buffer, at: number) => unknown, unknown][] = [
    ["u16", (w) => w.u16(0xbeef), (b, at) => b.readUInt16LE(at), 0xbeef],
    ["i16", (w) => w.i16(-2), (b, at) => b.readInt16LE(at), -2],
    ["u32", (w) => w.u32(0xdeadbeef), (b, at) => b.readUInt32LE(at), 0xdeadbeef],
    ["i32", (w) => w.i32(-5), (b, at) => b.readInt32LE(at), -5],
    ["f32", (w) => w.f32(1.5), (b, at) => b.readFloatLE(at), 1.5],
    ["f64", (w) => w.f64(Math.PI), (b, at) => b.readDoubleLE(at), Math.PI],
    ["u64", (w) => w.u64(2n ** 63n), (b, at) => b.readBigUInt64LE(at), 2n ** 63n],
    ["i64", (w) => w.i64(-3n), (b, at) => b.readBigInt64LE(at), -3n],
    ["string", (w) => w.string("héllo"), (b, at) => b.toString("utf8", at + 8, at + 14), "héllo"],
    [
      "bytes",
      (w) => w.bytes(Buffer.from([1, 2, 3])),
      (b, at) => [...b.subarray(at, at + 3)],
      [1, 2, 3],
    ],
  ];
  for (const [name, write, read, expected] of cases) {
    it(`writes a ${name} across a buffer growth`, () => {
      const w = new ByteWriter();
      const at = 64 * 1024 - 1;
      w.zeros(at);
      write(w);
      expect(read(w.result(), at)).toEqual(expected);
    });
  }

  it("keeps earlier bytes when it grows", () => {
    const w = new ByteWriter();
    for (let i = 0; i < 100_000; i++) {
      w.u8(i & 0xff);
    }
    const out = w.result();
    expect(out.length).toBe(100_000);
    expect(out[70_000]).toBe(70_000 & 0xff);
  });
});
