import { describe, expect, it } from "vitest";
import { kvCacheTypes } from "../../../src-main/contract/index.js";
import {
  kvBytes,
  kvBytesPerToken,
  kvGeometryFromMetadata,
  paddedCells,
} from "../../../src-main/services/runtime/kvGeometry.js";
import { bitsPerElement, rowBytes } from "../../../src-main/services/runtime/kvTypes.js";

describe("KV cache sizes", () => {
  it("per element: f16 2 B, q8_0 34/32, q5_1 24/32, q5_0 22/32, q4_1 20/32, q4_0 and iq4_nl 18/32", () => {
    expect(kvCacheTypes.map((t) => rowBytes(t, 32))).toEqual([64, 34, 24, 22, 20, 18, 18]);
    expect(bitsPerElement("q8_0")).toBe(8.5);
    expect(bitsPerElement("q4_0")).toBe(4.5);
  });

  it("reads the starter model's shape and sizes its cache as llama.cpp prints it (6 MiB at 2048, f16)", () => {
    const geometry = kvGeometryFromMetadata({
      block_count: 6,
      embedding_length: 512,
      attention: { head_count: 8, head_count_kv: 2 },
    })!;
    expect(geometry).toEqual({
      layers: 6,
      kvHeadsPerLayer: [2, 2, 2, 2, 2, 2],
      headDimK: 64,
      headDimV: 64,
    });
    expect(kvBytesPerToken(geometry, "f16", "f16")).toBe(3072);
    expect(kvBytes(geometry, "f16", "f16", 2048)).toBe(6 * 2 ** 20);
    expect(kvBytes(geometry, "q8_0", "q8_0", 2048) / kvBytes(geometry, "f16", "f16", 2048)).toBe(
      34 / 64,
    );
    expect(kvBytes(geometry, "q8_0", "q4_0", 2048)).toBe(
      ((6 * 128 * 34) / 32) * 2048 + ((6 * 128 * 18) / 32) * 2048,
    );
  });

  it("matches the brief's Qwen3-0.6B figures: 114,688 B/token at f16, 60,928 at q8_0, 32,256 at q4_0", () => {
    const qwen = kvGeometryFromMetadata({
      block_count: 28,
      embedding_length: 1024,
      attention: { head_count: 16, head_count_kv: 8, key_length: 128, value_length: 128 },
    })!;
    expect(kvBytesPerToken(qwen, "f16", "f16")).toBe(114_688);
    expect(kvBytesPerToken(qwen, "q8_0", "q8_0")).toBe(60_928);
    expect(kvBytesPerToken(qwen, "q4_0", "q4_0")).toBe(32_256);
  });

  it("handles per-layer KV head counts (layers without attention hold no cache)", () => {
    const hybrid = kvGeometryFromMetadata({
      block_count: 3,
      embedding_length: 256,
      attention: { head_count: [4, 4, 4], head_count_kv: [2, 0, 2] },
    })!;
    expect(kvBytesPerToken(hybrid, "f16", "f16")).toBe(2 * (2 * 64 * 2 * 2));
  });

  it("returns null for metadata it cannot size, and pads cells to multiples of 256", () => {
    expect(kvGeometryFromMetadata(undefined)).toBeNull();
    expect(kvGeometryFromMetadata({ block_count: 2 })).toBeNull();
    expect([1, 256, 257, 600, 2048].map(paddedCells)).toEqual([256, 256, 512, 768, 2048]);
  });
});
