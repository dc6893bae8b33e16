import { statSync } from "node:fs";
import { getLlama, LlamaLogLevel, type Llama, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LevelsResult, Model } from "../../src-main/contract/index.js";
import { compressionLevels } from "../../src-main/services/compress/levels.js";
import { openHarness, type Harness } from "../helpers/appHarness.js";
import { tinyModelPath } from "../helpers/tinyModel.js";

/**
 * Every level of the catalogue on a tiny F16 model, through the real services and the native
 * addon: the file has the level's tensor types (exactly the mix the dry run planned), the size
 * the slider promised to the byte, and node-llama-cpp loads it and generates from it.
 */
let h: Harness;
let source: Model;
let levels: LevelsResult;
let llama: Llama;

beforeAll(async () => {
  h = await openHarness("memory");
  source = await h.app.library.import({ path: await tinyModelPath(), link: true });
  levels = await h.app.compress.levels(source.id, {});
  llama = await getLlama({ build: "never", logLevel: LlamaLogLevel.error });
}, 120_000);

afterAll(async () => {
  await llama?.dispose();
  await h?.close();
});

describe("the levels of a tiny F16 model", () => {
  it("lists every level once, ordered by bits per weight, F16 itself unavailable", () => {
    expect(compressionLevels.map((l) => l.name)).toEqual(
      expect.arrayContaining(["F16", ...stockLevels]),
    );
    expect(levels.levels.map((l) => l.level).sort()).toEqual(
      compressionLevels.map((l) => l.name).sort(),
    );
    const bpw = levels.levels.map((l) => l.bpw);
    expect(bpw).toEqual([...bpw].sort((a, b) => b - a));
    expect(levels.levels.find((l) => l.level === "F16")).toMatchObject({
      available: false,
      reason: "The model is already F16.",
    });
    expect(levels.model).toMatchObject({ id: source.id, quantized: false });
    expect(levels.kvCacheBytes).toBeGreaterThan(0);
  });

  it("marks the levels llama.cpp cannot make without calibration", () => {
    const needs = levels.levels.filter((l) => l.needsImatrix).map((l) => l.level);
    expect(needs).toEqual(expect.arrayContaining(["IQ2_XXS", "IQ2_XS", "IQ1_S", "Q2_K_S"]));
    expect(needs).not.toContain("Q4_K_M");
    // Lowbit's own levels do not calibrate by default (tests/model/ptqtp-model.test.ts).
    const ours = new Set(compressionLevels.filter((l) => l.extended === true).map((l) => l.name));
    for (const level of levels.levels.filter((l) => !ours.has(l.level))) {
      expect(level.imatrixDefault, level.level).toBe(level.needsImatrix || level.nominalBpw < 4);
    }
  });
});

/** llama.cpp's own levels (ours, which need the extended runtime, have tests of their own). */
const stockLevels = [
  "BF16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q4_K_M", "Q4_K_S", "IQ4_XS", "IQ4_NL", "Q4_0",
  "Q3_K_L", "Q3_K_M", "Q3_K_S", "IQ3_M", "IQ3_S", "IQ3_XS", "IQ3_XXS", "Q2_K", "Q2_K_S", "IQ2_M",
  "IQ2_S", "IQ2_XS", "IQ2_XXS", "IQ1_M", "IQ1_S", "TQ2_0", "TQ1_0",
]; // prettier-ignore

describe.each(stockLevels)("quantizing a tiny model to %s", (name) => {
  it("writes the planned tensor types at the promised size, and the file generates", async () => {
    const planned = levels.levels.find((l) => l.level === name)!;
    expect(planned.available).toBe(true);
    const { model, run } = await h.app.compress.quantize({
      modelId: source.id,
      level: name,
      imatrix: "auto",
      imatrixChunks: 2,
      threads: 1,
      allowRequantize: false,
    });
    expect(run).toMatchObject({ status: "done", level: name, outputModelId: model.id });
    expect(run.imatrix).toBe(planned.imatrixDefault);
    expect(statSync(model.path).size).toBe(planned.sizeBytes);
    expect(model.fileType).toBe(name);
    expect(model.typeHistogram[planned.baseType]?.tensors ?? 0).toBeGreaterThan(0);
    const produced = Object.fromEntries(
      Object.entries(model.typeHistogram).map(([type, stats]) => [type, stats.tensors]),
    );
    expect(produced).toEqual(planned.tensorTypes);

    const loaded = await llama.loadModel({ modelPath: model.path });
    try {
      const context = await loaded.createContext({ contextSize: 256, threads: 1 });
      const tokens: Token[] = [];
      for await (const token of context
        .getSequence()
        .evaluate(loaded.tokenize("The quick brown fox"), { temperature: 0 })) {
        tokens.push(token);
        if (tokens.length === 4) {
          break;
        }
      }
      await context.dispose();
      expect(tokens).toHaveLength(4);
    } finally {
      await loaded.dispose();
    }
  });
});
