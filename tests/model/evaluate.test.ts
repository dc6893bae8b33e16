import { readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Evaluation, EvaluateProgress, Model } from "../../src-main/contract/index.js";
import { logProbFileBytes } from "../../src-main/services/evaluate/logProbCache.js";
import { openLowbit, type Lowbit } from "../../src-main/services/lowbit.js";
import { makeTempDir } from "../helpers/tempDir.js";
import { tinyModelPath } from "../helpers/tinyModel.js";

/**
 * Measuring what compression costs, through the real services: native llama.cpp passes in worker
 * processes, the log-prob cache on disk, the evaluations table. The starter model (trained, so its
 * distributions are peaked like a real model's) and a tiny random-weight model.
 */
const temp = makeTempDir("lowbit-eval-");
const home = path.join(temp.dir, "home");
let app: Lowbit;
let starter: Model;
let tiny: Model;

const open = () => openLowbit({ home, shell: "test", registerStarterModel: true });

beforeAll(async () => {
  app = await open();
  starter = app.library.list().find((m) => m.source === "bundled")!;
  tiny = await app.library.import({
    path: await tinyModelPath({ ctx: 256 }),
    name: "Tiny",
    link: false,
  });
}, 60_000);
afterAll(() => {
  app?.close();
  temp.cleanup();
});

const cacheFolder = () => path.join(home, "cache", "logprobs");
const folderBytes = () =>
  readdirSync(cacheFolder()).reduce(
    (sum, f) => sum + statSync(path.join(cacheFolder(), f)).size,
    0,
  );

describe("evaluating a model", () => {
  it("against itself gives KLD 0, the same top token everywhere and the same perplexity", async () => {
    const phases = new Set<string>();
    const self = await app.evaluate.evaluate(
      { modelId: starter.id, baseModelId: starter.id, chunks: 4, threads: 1, force: false },
      { progress: (p: EvaluateProgress) => phases.add(p.phase) },
    );
    expect([...phases]).toEqual(["queued", "base", "model", "saving"]);
    const m = self.metrics!;
    expect(self).toMatchObject({ status: "done", chunks: 4, contextSize: 512, runId: null });
    // The base's log-probs are stored at 16 bits (llama-perplexity's format): KLD is 0 to ~1e-6.
    expect(Math.abs(m.kld)).toBeLessThan(1e-5);
    expect(m.kldP99).toBeLessThan(1e-4);
    expect(m.top1).toBe(1);
    expect(Math.abs(m.deltaPpl) / m.pplBase).toBeLessThan(1e-5);
    expect(m.tokens).toBe(4 * 255);
    // The starter model's held-out perplexity is about 100 (103.5 over the whole split).
    expect(m.ppl).toBeGreaterThan(70);
    expect(m.ppl).toBeLessThan(140);
    expect(m.promptTps).toBeGreaterThan(0);
    expect(m.decodeTps).toBeGreaterThan(0);
    expect(m.peakRssBytes).toBeGreaterThan(starter.sizeBytes);
  });

  it("finds a tiny model's Q8_0 much closer to it than its Q2_K", async () => {
    const { items } = await app.evaluate.sweep({
      modelId: tiny.id,
      levels: ["Q8_0", "Q2_K"],
      contextSize: 128,
      chunks: 4,
      threads: 1,
      imatrix: "off",
    });
    const [q8, q2] = items.map((i) => i.evaluation!.metrics!);
    expect(items.map((i) => [i.level, i.error])).toEqual([
      ["Q8_0", null],
      ["Q2_K", null],
    ]);
    expect(q2!.kld).toBeGreaterThan(20 * q8!.kld);
    expect(q8!.top1).toBeGreaterThan(q2!.top1);
    expect(Math.abs(q8!.deltaPpl)).toBeLessThan(Math.abs(q2!.deltaPpl));
    // Both were measured against the tiny model, on one cached base pass.
    expect(q8!.baseReused).toBe(false);
    expect(q2!.baseReused).toBe(true);
  });

  it("says plainly when two models cannot be compared, or the text is too short", async () => {
    await expect(
      app.evaluate.evaluate({
        modelId: tiny.id,
        baseModelId: starter.id,
        threads: 1,
        force: false,
      }),
    ).rejects.toMatchObject({
      code: "invalid_params",
      message: expect.stringMatching(/different vocabularies \(512 and 8192 tokens\)/),
    });
    const short = path.join(temp.dir, "short.txt");
    writeFileSync(short, "Only a few words here.\n");
    await expect(
      app.evaluate.evaluate({
        modelId: starter.id,
        baseModelId: starter.id,
        textPath: short,
        threads: 1,
        force: false,
      }),
    ).rejects.toMatchObject({
      code: "invalid_params",
      message: expect.stringMatching(/too short: it has \d+ tokens, and at least 1024/),
    });
    const [failed] = app.evaluate.list(1);
    expect(failed).toMatchObject({ status: "failed", text: { name: "short.txt" } });
    expect(readdirSync(cacheFolder()).filter((f) => f.endsWith(".partial"))).toEqual([]);
  });

  it("keeps the base log-prob cache under its cap, with fewer chunks, and says so", async () => {
    const threeChunks = logProbFileBytes(128, 512, 3) + 4096;
    app.settings.set({ "evaluate.cacheBytes": threeChunks });
    const [q8] = app.evaluate.list(50).filter((e) => e.model.level === "Q8_0");
    const limited = await app.evaluate.evaluate({
      modelId: q8!.model.id!,
      contextSize: 128,
      chunks: 8,
      threads: 1,
      force: false,
    });
    expect(limited).toMatchObject({ chunks: 3, chunksRequested: 8, chunksLimited: true });
    expect(folderBytes()).toBeLessThanOrEqual(threeChunks);
    // Another text needs its own base pass: the older file goes, the folder stays under the cap.
    const other = path.join(temp.dir, "other.txt");
    writeFileSync(other, "The quick brown fox jumps over the lazy dog. ".repeat(400));
    await app.evaluate.evaluate({
      modelId: q8!.model.id!,
      textPath: other,
      contextSize: 128,
      chunks: 2,
      threads: 1,
      force: false,
    });
    expect(folderBytes()).toBeLessThanOrEqual(threeChunks);
    expect(readdirSync(cacheFolder()).filter((f) => f.endsWith(".logprobs"))).toHaveLength(1);
    app.settings.set({ "evaluate.cacheBytes": 2 * 2 ** 30 });
  });

  it("stops when cancelled, keeping no partial file and recording why", async () => {
    const stop = new AbortController();
    let partialSeen = false;
    const job = app.evaluate.evaluate(
      { modelId: starter.id, baseModelId: starter.id, chunks: 40, threads: 1, force: true },
      {
        signal: stop.signal,
        progress: (p) => {
          if (p.phase === "base" && (p.chunk ?? 0) >= 2) {
            partialSeen = readdirSync(cacheFolder()).some((f) => f.endsWith(".partial"));
            stop.abort();
          }
        },
      },
    );
    await expect(job).rejects.toMatchObject({ code: "cancelled" });
    expect(partialSeen).toBe(true);
    expect(app.evaluate.list(1)[0]).toMatchObject({ status: "cancelled", metrics: null });
    expect(readdirSync(cacheFolder()).filter((f) => f.endsWith(".partial"))).toEqual([]);
  });

  it("survives a restart: measurements are stored, and a sweep skips what was measured", async () => {
    const before: Evaluation[] = app.evaluate.list(100).filter((e) => e.status === "done");
    app.close();
    app = await open();
    expect(app.evaluate.list(100).filter((e) => e.status === "done")).toEqual(before);
    const quantized = app.compress.runs.list(100).length;
    const { items } = await app.evaluate.sweep({
      modelId: tiny.id,
      levels: ["Q2_K", "Q8_0"],
      contextSize: 128,
      chunks: 4,
      threads: 1,
      imatrix: "off",
    });
    expect(items.map((i) => [i.level, i.reusedEvaluation, i.reusedRun])).toEqual([
      ["Q2_K", true, true],
      ["Q8_0", true, true],
    ]);
    expect(app.compress.runs.list(100)).toHaveLength(quantized);
    // And the compression slider shows what was measured, with the frontier marked.
    const levels = await app.compress.levels(tiny.id);
    const q2 = levels.levels.find((l) => l.level === "Q2_K")!;
    expect(q2.quality).toMatchObject({
      meanKld: items[0]!.evaluation!.metrics!.kld,
      runId: items[0]!.run!.id,
      onFrontier: true,
    });
    expect(levels.levels.find((l) => l.level === "Q6_K")!.quality).toBeNull();
  });
});
