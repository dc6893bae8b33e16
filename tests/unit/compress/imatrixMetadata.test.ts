import { describe, expect, it } from "vitest";
import {
  imatrixFileName,
  imatrixMetadata,
} from "../../../src-main/services/compress/imatrixMetadata.js";

const id = {
  modelSha256: "a".repeat(64),
  textSha256: "b".repeat(64),
  dataset: "calib.txt",
  chunkSize: 512,
  maxChunks: 100,
};

describe("what a calibrated file records", () => {
  it("names the matrix with fixed-width numbers, so its length never depends on them", () => {
    expect(imatrixFileName(id)).toBe(`${"a".repeat(16)}-${"b".repeat(16)}-00512x000100.gguf`);
    expect(imatrixFileName({ ...id, chunkSize: 64, maxChunks: 7 }).length).toBe(
      imatrixFileName(id).length,
    );
  });

  it("writes llama-quantize's four quantize.imatrix.* keys", () => {
    expect(imatrixMetadata(id, { entries: 42, chunks: 8 })).toEqual([
      { key: "quantize.imatrix.file", value: imatrixFileName(id) },
      { key: "quantize.imatrix.dataset", value: "calib.txt" },
      { key: "quantize.imatrix.entries_count", value: 42 },
      { key: "quantize.imatrix.chunks_count", value: 8 },
    ]);
  });

  it("clips a long dataset name to llama.cpp's 127 bytes without splitting a character", () => {
    const [, dataset] = imatrixMetadata({ ...id, dataset: "é".repeat(100) });
    expect(Buffer.byteLength(String(dataset?.value))).toBe(126);
    expect(String(dataset?.value)).toBe("é".repeat(63));
  });
});
