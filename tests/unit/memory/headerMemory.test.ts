import { describe, expect, it } from "vitest";
import {
  attentionShape,
  fitFor,
  kvCacheBytes,
} from "../../../src-main/services/memory/headerMemory.js";
import { ggmlTypeByName } from "../../../src-main/services/gguf/ggmlTypes.js";
import type { GgufValue } from "../../../src-main/services/gguf/ggufValues.js";

const u32 = (value: number): GgufValue => ({ type: "u32", value });

/** Qwen3-0.6B's attention: 28 layers, 8 KV heads of 128 (the brief's worked example, §4d). */
const qwen = attentionShape(
  new Map<string, GgufValue>([
    ["qwen3.block_count", u32(28)],
    ["qwen3.embedding_length", u32(1024)],
    ["qwen3.attention.head_count", u32(16)],
    ["qwen3.attention.head_count_kv", u32(8)],
    ["qwen3.attention.key_length", u32(128)],
    ["qwen3.attention.value_length", u32(128)],
  ]),
  "qwen3",
)!;

describe("KV cache size", () => {
  it("matches llama.cpp's bytes per token for f16, q8_0 and q4_0", () => {
    const perToken = (type: string) =>
      kvCacheBytes(qwen, 256, ggmlTypeByName(type)!, ggmlTypeByName(type)!) / 256;
    expect(perToken("F16")).toBe(114_688);
    expect(perToken("Q8_0")).toBe(60_928);
    expect(perToken("Q4_0")).toBe(32_256);
  });

  it("rounds the context up to a multiple of 256 cells, as llama.cpp allocates it", () => {
    const f16 = ggmlTypeByName("F16")!;
    expect(kvCacheBytes(qwen, 300, f16, f16)).toBe(kvCacheBytes(qwen, 512, f16, f16));
  });

  it("reads head counts given per layer and falls back to embd / heads for head size", () => {
    const shape = attentionShape(
      new Map<string, GgufValue>([
        ["llama.block_count", u32(2)],
        ["llama.embedding_length", u32(256)],
        ["llama.attention.head_count", { type: "array", itemType: "u32", value: [4, 4] }],
        ["llama.attention.head_count_kv", { type: "array", itemType: "u32", value: [2, 1] }],
      ]),
      "llama",
    );
    expect(shape).toMatchObject({ layers: 2, kvHeads: 2, keyLength: 64, valueLength: 64 });
  });

  it("is unknown, not invented, when the model does not describe its attention", () => {
    expect(attentionShape(new Map(), "llama")).toBeNull();
  });
});

describe("fit badge", () => {
  const GiB = 2 ** 30;

  it("fits with the margin to spare, is tight when only the whole machine holds it, else no", () => {
    // A small machine keeps a tenth free: 10 of 100.
    expect(fitFor(80, 100, 100)).toBe("fits");
    expect(fitFor(85, 90, 100)).toBe("tight");
    expect(fitFor(95, 100, 100)).toBe("no");
  });

  it("keeps at most 1 GiB free on a large machine, as llama.cpp does", () => {
    expect(fitFor(7 * GiB, 8 * GiB, 64 * GiB)).toBe("fits");
    expect(fitFor(7.5 * GiB, 8 * GiB, 64 * GiB)).toBe("tight");
    expect(fitFor(63.5 * GiB, 64 * GiB, 64 * GiB)).toBe("no");
  });
});
