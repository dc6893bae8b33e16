import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { EncodedGgufValue } from "../../../src-main/services/gguf/encodeMetadata.js";
import {
  GgufFormatError,
  ggufValue,
  readGgufFile,
  rewriteGgufMetadata,
  writeGgufFile,
  type GgufTensorSpec,
  type GgufValue,
} from "../../../src-main/services/gguf/index.js";
import { useTempDir } from "./tempDir.js";

const tmp = useTempDir();
const files = async () => (await readdir(tmp.path(""))).sort();

const bigTensor = (name: string, mb: number): GgufTensorSpec => ({
  name,
  dims: [(mb * 2 ** 20) / 4],
  type: "F32",
  data: Buffer.alloc(mb * 2 ** 20, 7),
});

describe("writeGgufFile", () => {
  it("replaces an existing file only once the new one is complete", async () => {
    const path = tmp.path("replace.gguf");
    await writeFile(path, "old contents");
    await writeGgufFile(path, { metadata: { "a.b": ggufValue.u8(1) }, tensors: [] });
    expect((await readGgufFile(path)).metadata.get("a.b")).toEqual(ggufValue.u8(1));
    expect((await files()).filter((n) => n.includes("partial"))).toEqual([]);
  });

  it("removes the partial file and leaves no target when aborted midway", async () => {
    const path = tmp.path("aborted.gguf");
    const controller = new AbortController();
    const progress: number[] = [];
    const writing = writeGgufFile(
      path,
      { metadata: {}, tensors: [bigTensor("a", 4), bigTensor("b", 4)] },
      {
        signal: controller.signal,
        onProgress: (written) => {
          progress.push(written);
          if (written > 2 ** 20) {
            controller.abort();
          }
        },
      },
    );
    await expect(writing).rejects.toThrow(/abort/i);
    expect(progress.length).toBeGreaterThan(0);
    expect((await files()).filter((n) => n.startsWith("aborted"))).toEqual([]);
  });

  it("reports progress up to the final size", async () => {
    const path = tmp.path("progress.gguf");
    let last = [0, 0];
    const written = await writeGgufFile(
      path,
      { metadata: {}, tensors: [bigTensor("a", 1)] },
      { onProgress: (done, total) => (last = [done, total]) },
    );
    expect(last).toEqual([written.fileSize, written.fileSize]);
    expect((await stat(path)).size).toBe(written.fileSize);
  });

  it("removes the partial file when a copy source is too short", async () => {
    const source = tmp.path("short-source.bin");
    await writeFile(source, Buffer.alloc(100));
    const path = tmp.path("from-short.gguf");
    const tensors = [{ name: "t", dims: [64], type: "F32", data: { path: source, offset: 0 } }];
    await expect(writeGgufFile(path, { metadata: {}, tensors })).rejects.toThrow(
      /ended before the data of tensor 't' was complete/,
    );
    expect((await files()).filter((n) => n.startsWith("from-short"))).toEqual([]);
  });

  it("rejects values that do not fit their declared type, naming the key", async () => {
    const write = (value: GgufValue) =>
      writeGgufFile(tmp.path("bad.gguf"), { metadata: { "my.key": value }, tensors: [] });
    await expect(write(ggufValue.u8(256))).rejects.toThrow(/my\.key.*256 does not fit in a u8/);
    await expect(write(ggufValue.i8(-129))).rejects.toThrow(/does not fit in a i8/);
    await expect(write(ggufValue.u32(-1))).rejects.toThrow(/does not fit in a u32/);
    await expect(write(ggufValue.i32(1.5))).rejects.toThrow(/must be an integer/);
    await expect(write(ggufValue.u64(-1n))).rejects.toThrow(/does not fit in a u64/);
    await expect(write(ggufValue.array("u16", [1, 70000]))).rejects.toThrow(/70000/);
    await expect(write({ type: "u64", value: 5 } as unknown as GgufValue)).rejects.toThrow(
      /must be a bigint/,
    );
    expect((await files()).filter((n) => n.startsWith("bad"))).toEqual([]);
  });

  it("rejects tensors llama.cpp could not read", async () => {
    const write = (tensors: GgufTensorSpec[], alignment?: number) =>
      writeGgufFile(tmp.path("bad-tensor.gguf"), { metadata: {}, tensors }, { alignment });
    const f32 = (name: string, n: number): GgufTensorSpec => ({
      name,
      dims: [n],
      type: "F32",
      data: Buffer.alloc(n * 4),
    });
    await expect(write([f32("x", 4), f32("x", 4)])).rejects.toThrow(/'x' is given twice/);
    await expect(write([f32("n".repeat(64), 4)])).rejects.toThrow(/1 to 63 bytes/);
    await expect(write([{ ...f32("short", 4), data: Buffer.alloc(15) }])).rejects.toThrow(
      /needs 16 bytes of F32 data, got 15/,
    );
    await expect(
      write([{ name: "q", dims: [100], type: "Q4_K", data: Buffer.alloc(0) }]),
    ).rejects.toThrow(/rows of 100 values are not a whole number of Q4_K blocks/);
    await expect(write([{ ...f32("d", 1), dims: [1, 1, 1, 1, 1] }])).rejects.toThrow(
      /1 to 4 dimensions/,
    );
    await expect(write([f32("a", 4)], 48)).rejects.toThrow(/power of two/);
    await expect(
      writeGgufFile(
        tmp.path("bad-tensor.gguf"),
        { metadata: { "general.alignment": ggufValue.u32(64) }, tensors: [] },
        { alignment: 32 },
      ),
    ).rejects.toThrow(/disagrees/);
  });
});

describe("rewriteGgufMetadata", () => {
  const tensors: GgufTensorSpec[] = [
    { name: "w", dims: [256, 3], type: "Q4_K", data: Buffer.alloc(3 * 144, 0xab) },
    { name: "n", dims: [3], type: "F32", data: Buffer.from(new Float32Array([1, 2, 3]).buffer) },
  ];

  it("adds, changes and removes keys and keeps the tensor data byte for byte", async () => {
    const source = tmp.path("rewrite-src.gguf");
    await writeGgufFile(
      source,
      {
        metadata: [
          ["general.architecture", ggufValue.string("llama")],
          ["general.name", ggufValue.string("before")],
          ["drop.me", ggufValue.bool(true)],
        ],
        tensors,
      },
      { alignment: 64 },
    );
    const target = tmp.path("rewrite-out.gguf");
    await rewriteGgufMetadata(source, target, (m) => {
      m.set("general.name", ggufValue.string("after"));
      m.delete("drop.me");
      m.set("lowbit.source.sha256", ggufValue.string("0".repeat(64)));
      m.set("lowbit.bpw", ggufValue.f32(4.5));
    });
    const [src, out] = [await readGgufFile(source), await readGgufFile(target)];
    expect([...out.metadata.keys()]).toEqual([
      "general.architecture",
      "general.name",
      "general.alignment",
      "lowbit.source.sha256",
      "lowbit.bpw",
    ]);
    expect(out.metadata.get("general.name")).toEqual(ggufValue.string("after"));
    expect(out.alignment).toBe(64);
    const [a, b] = [await readFile(source), await readFile(target)];
    expect(b.subarray(out.dataOffset)).toEqual(a.subarray(src.dataOffset));
    expect(out.tensors.map((t) => [t.name, t.offset])).toEqual(
      src.tensors.map((t) => [t.name, t.offset]),
    );
  });

  it("keeps strings that are not valid UTF-8 exactly as they were", async () => {
    const source = tmp.path("raw-utf8.gguf");
    // A token list holding a lone 0xff byte: decoding and re-encoding would corrupt it.
    const rawArray = Buffer.concat([
      Buffer.from([9, 0, 0, 0, 8, 0, 0, 0]), // array of strings
      Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]), // one item
      Buffer.from([2, 0, 0, 0, 0, 0, 0, 0, 0x41, 0xff]), // "A\xff"
    ]);
    await writeGgufFile(source, {
      metadata: new Map([["tokenizer.ggml.tokens", new EncodedGgufValue(rawArray)]]),
      tensors,
    });
    const target = tmp.path("raw-utf8-out.gguf");
    await rewriteGgufMetadata(source, target, (m) => m.set("x", ggufValue.u8(1)));
    expect((await readFile(target)).includes(rawArray)).toBe(true);
    const out = await readGgufFile(target);
    expect(out.metadata.get("tokenizer.ggml.tokens")).toEqual(
      ggufValue.array("string", ["A\ufffd"]),
    );
  });

  it("refuses to rewrite a truncated source", async () => {
    const source = tmp.path("rewrite-src.gguf");
    const truncated = tmp.path("rewrite-truncated.gguf");
    const bytes = await readFile(source);
    await writeFile(truncated, bytes.subarray(0, bytes.length - 100));
    await expect(
      rewriteGgufMetadata(truncated, tmp.path("never.gguf"), () => undefined),
    ).rejects.toBeInstanceOf(GgufFormatError);
    expect((await files()).filter((n) => n.startsWith("never"))).toEqual([]);
  });
});
