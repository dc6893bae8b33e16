import { describe, expect, it } from "vitest";
import {
  ggufValue,
  readGgufFile,
  summarizeModel,
  writeGgufFile,
  writeTinyModel,
} from "../../../src-main/services/gguf/index.js";
import { useTempDir } from "./tempDir.js";

const tmp = useTempDir();

/** Parameter count of a llama model, from its settings (not from the file). */
function expectedParams(
  s: { embd: number; layers: number; ff: number; vocab: number; heads: number; kvHeads: number },
  tied: boolean,
) {
  const kv = (s.embd / s.heads) * s.kvHeads;
  const perLayer = 2 * s.embd + 2 * s.embd * s.embd + 2 * s.embd * kv + 3 * s.embd * s.ff;
  return s.vocab * s.embd * (tied ? 1 : 2) + s.layers * perLayer + s.embd;
}

describe("summarizeModel", () => {
  it("reports a tiny f16 model's sizes, computed here from its settings", async () => {
    const settings = { embd: 512, layers: 3, ff: 768, vocab: 300, heads: 8, kvHeads: 2 };
    const path = tmp.path("tiny-f16.gguf");
    await writeTinyModel({ path, ...settings, ctx: 1024, type: "f16" });
    const summary = summarizeModel(await readGgufFile(path));

    const params = expectedParams(settings, false);
    const normElements = (2 * settings.layers + 1) * settings.embd;
    const matrixElements = params - normElements;
    const tensorBytes = matrixElements * 2 + normElements * 4;
    expect(summary).toMatchObject({
      arch: "llama",
      params,
      contextLength: 1024,
      embeddingLength: 512,
      feedForwardLength: 768,
      layers: 3,
      heads: 8,
      kvHeads: 2,
      vocabSize: 300,
      fileType: "F16",
      tensorBytes,
      hasChatTemplate: true,
      tokenizer: { model: "gpt2", pre: "gpt-2", known: true },
    });
    expect(summary.typeHistogram).toEqual({
      F16: {
        tensors: 2 + 7 * settings.layers,
        elements: matrixElements,
        bytes: matrixElements * 2,
      },
      F32: { tensors: 2 * settings.layers + 1, elements: normElements, bytes: normElements * 4 },
    });
    expect(summary.bpw).toBeCloseTo((tensorBytes * 8) / params, 12);
    expect(summary.bpw).toBeGreaterThan(16);
    expect(summary.bpw).toBeLessThan(16.1);
    expect(summary.name).toMatch(/tiny/);
  });

  it("counts a tied output once and notices a missing chat template", async () => {
    const settings = { embd: 256, layers: 2, ff: 512, vocab: 512, heads: 4, kvHeads: 2 };
    const path = tmp.path("tiny-tied.gguf");
    await writeTinyModel({ path, ...settings, type: "f32", tiedOutput: true, chatTemplate: null });
    const summary = summarizeModel(await readGgufFile(path));
    expect(summary.params).toBe(expectedParams(settings, true));
    expect(summary.bpw).toBe(32);
    expect(summary.fileType).toBe("F32");
    expect(summary.hasChatTemplate).toBe(false);
  });

  it("reads quantized files: file type name and exact bits per weight", async () => {
    const path = tmp.path("q4k.gguf");
    await writeGgufFile(path, {
      metadata: [
        ["general.architecture", ggufValue.string("qwen2")],
        ["general.file_type", ggufValue.u32(15)],
        ["qwen2.context_length", ggufValue.u32(32768)],
        ["qwen2.attention.head_count", ggufValue.array("u32", [16, 16, 8])],
        ["tokenizer.ggml.model", ggufValue.string("gpt2")],
        ["tokenizer.ggml.pre", ggufValue.string("not-a-real-one")],
      ],
      tensors: [
        { name: "a", dims: [1024, 4], type: "Q4_K", data: Buffer.alloc(16 * 144) },
        { name: "b", dims: [256, 8], type: "Q4_K", data: Buffer.alloc(8 * 144) },
      ],
    });
    const summary = summarizeModel(await readGgufFile(path));
    expect(summary).toMatchObject({
      arch: "qwen2",
      fileType: "Q4_K_M",
      contextLength: 32768,
      heads: 16,
      params: 4096 + 2048,
      tensorBytes: 24 * 144,
      bpw: 4.5,
      vocabSize: null,
      hasChatTemplate: false,
      tokenizer: { model: "gpt2", pre: "not-a-real-one", known: false },
    });
    expect(summary.typeHistogram).toEqual({ Q4_K: { tensors: 2, elements: 6144, bytes: 3456 } });
  });

  it("copes with a file that has no architecture or tensors", async () => {
    const path = tmp.path("bare.gguf");
    await writeGgufFile(path, {
      metadata: { "general.file_type": ggufValue.u32(999) },
      tensors: [],
    });
    const summary = summarizeModel(await readGgufFile(path));
    expect(summary).toMatchObject({ arch: null, params: 0, bpw: 0, fileType: "unknown (999)" });
    expect(summary.tokenizer.known).toBe(false);
  });
});
