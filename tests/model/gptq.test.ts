import { copyFileSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Model, QuantizeProgress } from "../../src-main/contract/index.js";
import { ggmlTypeById } from "../../src-main/services/gguf/ggmlTypes.js";
import { readGgufFile } from "../../src-main/services/gguf/ggufReader.js";
import type { LowbitAddon } from "../../src-main/services/native/AddonTypes.js";
import { loadAddon } from "../../src-main/services/native/loadAddon.js";
import { openHarness, type Harness } from "../helpers/appHarness.js";
import { extendedBuildRequired } from "../helpers/extendedBuild.js";
import { makeTempDir } from "../helpers/tempDir.js";
import { tinyModelPath } from "../helpers/tinyModel.js";

/**
 * Calibrated (GPTQ-style) rounding: on a tiny model, for every ggml type the build has a grid
 * for, compensation lowers each layer's output error ‖(W − Q)X‖ on the calibration tokens below
 * round-to-nearest on the same grid; through the app, a PTQTP level calibrates by default, the
 * run and the file say how, and cancelling the calibration keeps nothing.
 */
const calib = path.resolve("resources/data/brown/calib.txt");
const temp = makeTempDir("lowbit-gptq-");
let addon: LowbitAddon;

// A file type whose tensors (with `pure`) all get the grid's type.
const ftypeOf: Record<string, number> = {
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 15,
  Q5_K: 17,
  Q6_K: 18,
  IQ4_XS: 30,
  PTQTP1: 96,
  PTQTP2: 97,
};

beforeAll(() => {
  process.env.LOWBIT_ALLOW_ADDON_IN_PROCESS = "1";
  addon = loadAddon();
});
afterAll(() => temp.cleanup());

describe("compensated rounding on a tiny model", () => {
  it("offers the PTQTP grids wherever the runtime knows PTQTP", () => {
    const types = addon.gptqGridTypes();
    const knowsPtqtp = addon.systemInfo().ggmlTypes.some((t) => t.name === "ptqtp1");
    if (knowsPtqtp || extendedBuildRequired) {
      expect(types).toEqual(expect.arrayContaining([96, 97]));
    }
    for (const id of types) {
      expect(ftypeOf[ggmlTypeById(id)?.name ?? ""], `a file type for type ${id}`).toBeDefined();
    }
  });

  it("lowers the layer-output error below round-to-nearest, for every grid", async () => {
    const model = await tinyModelPath({ embd: 256, ff: 512, layers: 2, seed: 7 });
    const types = addon.gptqGridTypes();
    expect(types.length).toBeGreaterThan(0);
    for (const id of types) {
      const name = ggmlTypeById(id)!.name;
      const target = path.join(temp.dir, `tiny-${name}.gguf`);
      await addon.quantize({
        inputPath: model,
        outputPath: target,
        ftype: ftypeOf[name]!,
        pure: true,
        threads: 1,
      }).promise;
      const plain = readFileSync(target);
      const result = await addon.gptq({
        modelPath: model,
        targetPath: target,
        textPath: calib,
        chunkSize: 64,
        maxChunks: 8,
        threads: 2,
        measure: true,
      }).promise;
      const ofType = result.tensors.filter((t) => t.type === id);
      // q, k, v, output, gate, up and down of both layers.
      expect(ofType.length, name).toBe(14);
      expect(result.tokens).toBe(8 * 64);
      for (const t of ofType) {
        expect(t.gptqError!, `${name} ${t.name}`).toBeLessThan(t.rtnError! * 0.95);
      }
      // Same types and sizes as llama.cpp wrote, different bytes, and still a valid file.
      const header = await readGgufFile(target);
      const before = plain.length;
      expect(readFileSync(target).length).toBe(before);
      expect(readFileSync(target).equals(plain)).toBe(false);
      for (const t of ofType) {
        expect(header.tensors.find((h) => h.name === t.name)?.type.id).toBe(id);
      }
    }
  }, 300_000);

  it("with compensation off, writes round-to-nearest on the same grid", async () => {
    const model = await tinyModelPath({ embd: 256, ff: 512, layers: 2, seed: 7 });
    const id = addon.gptqGridTypes()[0]!;
    const target = path.join(temp.dir, "tiny-rtn.gguf");
    await addon.quantize({
      inputPath: model,
      outputPath: target,
      ftype: ftypeOf[ggmlTypeById(id)!.name]!,
      pure: true,
      threads: 1,
    }).promise;
    const result = await addon.gptq({
      modelPath: model,
      targetPath: target,
      textPath: calib,
      chunkSize: 64,
      maxChunks: 2,
      compensate: false,
      measure: true,
    }).promise;
    for (const t of result.tensors) {
      expect(t.gptqError).toBeCloseTo(t.rtnError!, 6);
    }
  }, 120_000);

  it("says what was wrong with a bad request", async () => {
    const model = await tinyModelPath({ embd: 256, ff: 512, layers: 2, seed: 7 });
    const target = path.join(temp.dir, "tiny-copy.gguf");
    copyFileSync(model, target);
    await expect(
      addon.gptq({ modelPath: model, targetPath: target, textPath: "/nonexistent.txt" }).promise,
    ).rejects.toMatchObject({ code: "not_found", message: /calibration text/ });
    expect(() =>
      addon.gptq({ modelPath: model, targetPath: target, textPath: calib, damping: 2 }),
    ).toThrow(/damping must be between 0 and 1/);
  });
});

describe("calibrated quantization in the app", () => {
  let h: Harness;
  let starter: Model;

  beforeAll(async () => {
    h = await openHarness("memory", { registerStarterModel: true });
    starter = h.app.library.list().find((m) => m.source === "bundled")!;
  }, 60_000);
  afterAll(async () => h?.close());

  const ptqtp = () =>
    addon.gptqGridTypes().includes(96) ? "PTQTP1" : ggmlTypeById(addon.gptqGridTypes()[0]!)!.name;

  it("cancelled while calibrating keeps no file, no model, and says cancelled", async () => {
    const stop = new AbortController();
    const seen: QuantizeProgress[] = [];
    const job = h.app.compress.quantize(
      {
        modelId: starter.id,
        level: ptqtp() === "PTQTP1" ? "PTQTP1" : "Q4_K_M",
        imatrix: "off",
        threads: 1,
        allowRequantize: false,
        method: "gptq",
        calibrationChunks: 40,
      },
      {
        signal: stop.signal,
        progress: (p) => {
          seen.push(p);
          if (p.phase === "calibrating" && (p.chunk ?? 0) >= 2) {
            stop.abort();
          }
        },
      },
    );
    await expect(job).rejects.toMatchObject({ code: "cancelled" });
    expect(seen.some((p) => p.phase === "compensating" || p.phase === "verifying")).toBe(false);
    expect(readdirSync(path.join(h.home, "models"))).toEqual([]);
    expect(h.app.library.list().map((m) => m.id)).toEqual([starter.id]);
    expect(h.app.compress.runs.list(1)[0]).toMatchObject({
      status: "cancelled",
      method: "gptq",
      outputModelId: null,
    });
  }, 120_000);

  it("calibrates a PTQTP level by default, and the run and the file say how", async () => {
    if (!addon.gptqGridTypes().includes(96)) {
      return; // no extended runtime here: PTQTP cannot be made at all
    }
    const levels = await h.app.compress.levels(starter.id);
    const stop = levels.levels.find((l) => l.level === "PTQTP1")!;
    expect(stop).toMatchObject({ gptqOffered: true, methodDefault: "gptq" });
    expect(levels.levels.find((l) => l.level === "Q8_0")).toMatchObject({ gptqOffered: false });
    const seen = new Set<string>();
    const { run, model } = await h.app.compress.quantize(
      {
        modelId: starter.id,
        level: "PTQTP1",
        imatrix: "auto",
        threads: 1,
        allowRequantize: false,
        calibrationChunks: 3,
      },
      { progress: (p) => seen.add(p.phase) },
    );
    expect([...seen]).toEqual(
      expect.arrayContaining(["quantizing", "calibrating", "compensating", "verifying"]),
    );
    expect(run).toMatchObject({
      status: "done",
      method: "gptq",
      gptq: { damping: 0.01, chunks: 3, chunkSize: 512, tokens: 3 * 512, tensors: 42 },
    });
    expect(run.gptq?.textSha256).toMatch(/^[0-9a-f]{64}$/);
    // The slider's size for the calibrated default is exact, its provenance keys included.
    expect(model.sizeBytes).toBe(stop.sizeBytes);
    const header = await readGgufFile(model.path);
    expect(header.metadata.get("lowbit.method")?.value).toBe("gptq");
    expect(header.metadata.get("lowbit.gptq.text_sha256")?.value).toBe(run.gptq?.textSha256);
    expect(h.app.compress.runs.get(run.id)).toMatchObject({ method: "gptq" });
  }, 240_000);
});
