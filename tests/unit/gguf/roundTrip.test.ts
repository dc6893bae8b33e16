import { readFile, readdir } from "node:fs/promises";
import { dirname } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import {
  ggufValue,
  readGgufFile,
  writeGgufFile,
  type GgufTensorSpec,
  type GgufValue,
} from "../../../src-main/services/gguf/index.js";
import { seededRandom } from "../../../src-main/services/gguf/seededRandom.js";
import { useTempDir } from "./tempDir.js";

const tmp = useTempDir();

const randomBytes = (n: number, seed: number) => {
  const random = seededRandom(seed);
  return Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
};

/** One of every value type, at the edges of its range, plus arrays and arrays of arrays. */
const metadata: [string, GgufValue][] = [
  ["general.architecture", ggufValue.string("llama")],
  ["test.u8", ggufValue.u8(255)],
  ["test.i8", ggufValue.i8(-128)],
  ["test.u16", ggufValue.u16(65535)],
  ["test.i16", ggufValue.i16(-32768)],
  ["test.u32", ggufValue.u32(4294967295)],
  ["test.i32", ggufValue.i32(-2147483648)],
  ["test.u64", ggufValue.u64(2n ** 64n - 1n)],
  ["test.i64", ggufValue.i64(-(2n ** 63n))],
  ["test.f32", ggufValue.f32(1.5)],
  ["test.f64", ggufValue.f64(Math.PI)],
  ["test.bool.true", ggufValue.bool(true)],
  ["test.bool.false", ggufValue.bool(false)],
  ["test.string", ggufValue.string('héllo wörld 🌍, "quoted"\n')],
  ["test.string.empty", ggufValue.string("")],
  ["test.array.u8", ggufValue.array("u8", [0, 1, 255])],
  ["test.array.i16", ggufValue.array("i16", [-32768, 0, 32767])],
  ["test.array.f32", ggufValue.array("f32", [0.5, -2, 1e-5])],
  ["test.array.f64", ggufValue.array("f64", [Math.E])],
  ["test.array.u64", ggufValue.array("u64", [0n, 2n ** 63n])],
  ["test.array.i64", ggufValue.array("i64", [-1n])],
  ["test.array.bool", ggufValue.array("bool", [true, false, true])],
  ["test.array.string", ggufValue.array("string", ["a", "", "ĠĊ", "<|im_end|>"])],
  ["test.array.empty", ggufValue.array("u32", [])],
  [
    "test.array.nested",
    ggufValue.array("array", [
      ggufValue.array("u32", [1, 2, 3]),
      ggufValue.array("string", ["x", "yz"]),
      ggufValue.array("array", [ggufValue.array("i8", [-1])]),
    ]),
  ],
];

const tensors: GgufTensorSpec[] = [
  { name: "a.f32", dims: [8, 3], type: "F32", data: randomBytes(8 * 3 * 4, 1) },
  { name: "b.f16", dims: [5], type: "F16", data: randomBytes(10, 2) }, // 10 bytes: needs padding
  { name: "c.q4_k", dims: [512, 2], type: "Q4_K", data: randomBytes(4 * 144, 3) },
  { name: "d.q8_0", dims: [64, 2, 3], type: "Q8_0", data: randomBytes(2 * 6 * 34, 4) },
  { name: "e.i32", dims: [7, 1, 1, 2], type: 26, data: randomBytes(14 * 4, 5) },
];

describe("GGUF writer → reader round trip", () => {
  it("reads back every value type, array and tensor exactly as written", async () => {
    const path = tmp.path("all-types.gguf");
    const written = await writeGgufFile(path, { metadata, tensors });
    const file = await readGgufFile(path);

    expect(file.version).toBe(3);
    expect(file.alignment).toBe(32);
    expect(file.metadata.has("general.alignment")).toBe(false); // 32 is the default
    expect([...file.metadata]).toEqual(metadata.map(([k, v]) => [k, f32Rounded(v)]));
    expect(file.dataOffset).toBe(written.dataOffset);
    expect(file.fileSize).toBe(written.fileSize);

    const bytes = await readFile(path);
    expect(bytes.length).toBe(written.fileSize);
    expect(file.tensors.map((t) => [t.name, t.dims, t.type.name])).toEqual([
      ["a.f32", [8, 3], "F32"],
      ["b.f16", [5], "F16"],
      ["c.q4_k", [512, 2], "Q4_K"],
      ["d.q8_0", [64, 2, 3], "Q8_0"],
      ["e.i32", [7, 1, 1, 2], "I32"],
    ]);
    for (const [i, t] of file.tensors.entries()) {
      expect(t.fileOffset % 32, `${t.name} is aligned`).toBe(0);
      expect(t.byteSize).toBe((tensors[i]!.data as Buffer).length);
      expect(bytes.subarray(t.fileOffset, t.fileOffset + t.byteSize)).toEqual(tensors[i]!.data);
    }
    expect(file.dataOffset % 32).toBe(0);
    expect((await readdir(dirname(path))).filter((n) => n.endsWith(".partial"))).toEqual([]);
  });

  it("records a non-default alignment and pads to it", async () => {
    const path = tmp.path("aligned-64.gguf");
    await writeGgufFile(path, { metadata, tensors }, { alignment: 64 });
    const file = await readGgufFile(path);
    expect(file.alignment).toBe(64);
    expect(file.metadata.get("general.alignment")).toEqual(ggufValue.u32(64));
    expect(file.dataOffset % 64).toBe(0);
    for (const t of file.tensors) {
      expect(t.offset % 64, t.name).toBe(0);
    }
    const bytes = await readFile(path);
    expect(bytes.length % 64).toBe(0);
    expect(bytes.subarray(file.tensors[1]!.fileOffset, file.tensors[1]!.fileOffset + 10)).toEqual(
      tensors[1]!.data,
    );
  });

  it("handles a vocabulary-sized header, larger than the reader's first 4 MiB read", async () => {
    const path = tmp.path("big-vocab.gguf");
    const tokens = Array.from({ length: 120_000 }, (_, i) => `token-${i}-ĠĊ-${"x".repeat(i % 40)}`);
    const vocab = ggufValue.array("string", tokens);
    await writeGgufFile(path, { metadata: [["tokenizer.ggml.tokens", vocab]], tensors });
    const file = await readGgufFile(path);
    expect(file.dataOffset).toBeGreaterThan(4 * 2 ** 20);
    expect(file.metadata.get("tokenizer.ggml.tokens")).toEqual(vocab);
    const bytes = await readFile(path);
    const last = file.tensors.at(-1)!;
    expect(bytes.subarray(last.fileOffset, last.fileOffset + last.byteSize)).toEqual(
      tensors.at(-1)!.data,
    );
  });

  it("writes a file without tensors", async () => {
    const path = tmp.path("metadata-only.gguf");
    await writeGgufFile(path, { metadata: { "general.name": ggufValue.string("x") }, tensors: [] });
    const file = await readGgufFile(path);
    expect(file.tensors).toEqual([]);
    expect(file.dataOffset).toBe(file.fileSize);
  });

  it("is read identically by node-llama-cpp's own GGUF parser", async () => {
    const path = tmp.path("cross-check.gguf");
    await writeGgufFile(path, { metadata, tensors }, { alignment: 64 });
    const ours = await readGgufFile(path);
    const theirs = await readGgufFileInfo(path, { logWarnings: false, spliceSplitFiles: false });

    expect(theirs.version).toBe(3);
    expect(theirs.infoEndOffset).toBe(ours.dataOffset);
    const theirMeta = flatten(theirs.metadata as unknown as Record<string, unknown>);
    const expected = new Map(metadata.map(([k, v]) => [k, plain(f32Rounded(v))]));
    expected.set("general.alignment", 64);
    expect(theirMeta).toEqual(expected);
    expect(
      theirs.tensorInfo!.map((t) => [
        t.name,
        t.dimensions.map(Number),
        t.ggmlType,
        Number(t.offset),
      ]),
    ).toEqual(ours.tensors.map((t) => [t.name, t.dims, t.type.id, t.offset]));
  });
});

describe("streaming tensor data from another GGUF", () => {
  it("copies tensor bytes from a source file without changing them", async () => {
    const source = tmp.path("source.gguf");
    await writeGgufFile(source, { metadata, tensors });
    const src = await readGgufFile(source);
    const copy = tmp.path("copy.gguf");
    await writeGgufFile(copy, {
      metadata: [["general.name", ggufValue.string("copy")]],
      tensors: src.tensors.map((t) => ({ ...t, data: { path: source, offset: t.fileOffset } })),
    });
    const out = await readGgufFile(copy);
    const [a, b] = [await readFile(source), await readFile(copy)];
    for (const [i, t] of out.tensors.entries()) {
      const s = src.tensors[i]!;
      expect(b.subarray(t.fileOffset, t.fileOffset + t.byteSize)).toEqual(
        a.subarray(s.fileOffset, s.fileOffset + s.byteSize),
      );
    }
  });
});

/** f32 values come back rounded to float32 precision. */
function f32Rounded(v: GgufValue): GgufValue {
  if (v.type === "f32") {
    return { type: "f32", value: Math.fround(v.value) };
  }
  if (v.type === "array" && v.itemType === "f32") {
    return { type: "array", itemType: "f32", value: v.value.map(Math.fround) };
  }
  return v;
}

/** Our typed value as node-llama-cpp represents it: bare values, 64-bit ints as bigint. */
function plain(v: GgufValue): unknown {
  if (v.type === "array") {
    return v.itemType === "array" ? v.value.map(plain) : [...v.value];
  }
  return v.value;
}

/** node-llama-cpp nests metadata by the dots in the keys; flatten it back. */
function flatten(obj: Record<string, unknown>, prefix = "", out = new Map<string, unknown>()) {
  for (const [key, value] of Object.entries(obj)) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      flatten(value as Record<string, unknown>, path, out);
    } else {
      out.set(path, value);
    }
  }
  return out;
}
