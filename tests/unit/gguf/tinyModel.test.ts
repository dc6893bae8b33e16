import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { bytesToUnicode, byteTokens } from "../../../src-main/services/gguf/byteLevelBpe.js";
import {
  float16BufferToFloat32,
  metaArray,
  readGgufFile,
  writeTinyModel,
} from "../../../src-main/services/gguf/index.js";
import { useTempDir } from "./tempDir.js";

const tmp = useTempDir();
const sha256 = async (path: string) =>
  createHash("sha256")
    .update(await readFile(path))
    .digest("hex");

describe("GPT-2 byte alphabet", () => {
  it("maps every byte to its own printable character, as GPT-2 does", () => {
    const map = bytesToUnicode();
    expect(map.size).toBe(256);
    expect(new Set(map.values()).size).toBe(256);
    expect(map.get(0x20)).toBe("Ġ"); // space
    expect(map.get(0x0a)).toBe("Ċ"); // newline
    expect(map.get(0x09)).toBe("ĉ"); // tab
    expect(map.get(0x00)).toBe("Ā");
    expect(map.get(0x41)).toBe("A");
    expect(map.get(0x7f)).toBe("ġ");
    expect(map.get(0xad)).toBe("Ń"); // soft hyphen, the last non-printable byte
    expect(byteTokens().slice(0, 3)).toEqual(["!", '"', "#"]); // GPT-2's vocabulary order
  });
});

describe("writeTinyModel", () => {
  it("writes the same bytes for the same seed, and different weights for another", async () => {
    const [a, b, c] = ["a", "b", "c"].map((n) => tmp.path(`seed-${n}.gguf`));
    await writeTinyModel({ path: a!, seed: 7 });
    await writeTinyModel({ path: b!, seed: 7 });
    await writeTinyModel({ path: c!, seed: 8 });
    expect(await sha256(a!)).toBe(await sha256(b!));
    expect(await sha256(a!)).not.toBe(await sha256(c!));
  });

  it("writes small finite f16 weights and unit norms", async () => {
    const path = tmp.path("weights.gguf");
    await writeTinyModel({ path, type: "f16", embd: 256, ff: 256 });
    const file = await readGgufFile(path);
    const bytes = await readFile(path);
    const data = (name: string) => {
      const t = file.tensors.find((x) => x.name === name)!;
      return bytes.subarray(t.fileOffset, t.fileOffset + t.byteSize);
    };
    const q = float16BufferToFloat32(data("blk.0.attn_q.weight"));
    expect(q.every(Number.isFinite)).toBe(true);
    const maxAbs = q.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(maxAbs).toBeLessThanOrEqual(1 / 16 + 1e-3); // 1/sqrt(256)
    expect(maxAbs).toBeGreaterThan(0.05);
    const norm = data("blk.0.attn_norm.weight");
    expect(file.tensors.find((t) => t.name === "blk.0.attn_norm.weight")!.type.name).toBe("F32");
    expect(
      new Float32Array(norm.buffer.slice(norm.byteOffset, norm.byteOffset + norm.length)),
    ).toEqual(new Float32Array(256).fill(1));
  });

  it("builds a vocabulary of exactly the requested size with specials at the end", async () => {
    for (const vocab of [259, 512, 1500]) {
      const path = tmp.path(`vocab-${vocab}.gguf`);
      await writeTinyModel({ path, vocab, type: "f32" });
      const file = await readGgufFile(path);
      const tokens = metaArray(file.metadata, "tokenizer.ggml.tokens")!.value as string[];
      expect(tokens).toHaveLength(vocab);
      expect(new Set(tokens).size).toBe(vocab);
      expect(tokens.slice(-3)).toEqual(["<|endoftext|>", "<|im_start|>", "<|im_end|>"]);
      expect(tokens.slice(0, 256)).toEqual(byteTokens());
      const merges = metaArray(file.metadata, "tokenizer.ggml.merges")!.value as string[];
      for (const merge of merges) {
        const [left, right] = merge.split(" ");
        expect(tokens).toContain(left);
        expect(tokens).toContain(`${left}${right}`);
      }
      expect(file.tensors.find((t) => t.name === "token_embd.weight")!.dims).toEqual([256, vocab]);
    }
  });

  it("leaves out keys and tensors on request", async () => {
    const path = tmp.path("omit.gguf");
    await writeTinyModel({
      path,
      omitKeys: ["llama.attention.head_count"],
      omitTensors: ["output.weight"],
    });
    const file = await readGgufFile(path);
    expect(file.metadata.has("llama.attention.head_count")).toBe(false);
    expect(file.metadata.has("llama.attention.head_count_kv")).toBe(true);
    expect(file.tensors.some((t) => t.name === "output.weight")).toBe(false);
  });

  it("refuses settings that would not make a loadable or quantizable model", async () => {
    const path = tmp.path("never.gguf");
    await expect(writeTinyModel({ path, embd: 300 })).rejects.toThrow(/multiples of 256/);
    await expect(writeTinyModel({ path, ff: 100 })).rejects.toThrow(/multiples of 256/);
    await expect(writeTinyModel({ path, vocab: 100 })).rejects.toThrow(/at least 259/);
    await expect(writeTinyModel({ path, heads: 3 })).rejects.toThrow(/heads of an even size/);
    await expect(writeTinyModel({ path, heads: 4, kvHeads: 3 })).rejects.toThrow(/must divide/);
    await expect(writeTinyModel({ path, layers: 0 })).rejects.toThrow(/positive integer/);
  });
});
