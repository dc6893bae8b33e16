import { existsSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ggmlTypes, stockGgmlTypeCount } from "../../src-main/services/gguf/ggmlTypes.js";
import { readGgufFile } from "../../src-main/services/gguf/ggufReader.js";
import type {
  LowbitAddon,
  NativeQuantizeProgress,
} from "../../src-main/services/native/AddonTypes.js";
import { loadAddon } from "../../src-main/services/native/loadAddon.js";
import { makeTempDir } from "../helpers/tempDir.js";

/**
 * The native addon itself, loaded in the test process (the app loads it only in its worker):
 * quantize and calibration run off the JS thread, report progress, cancel, and fail as data.
 */
const starter = path.resolve("resources/models/lowbit-starter-18m.gguf");
const calib = path.resolve("resources/data/brown/calib.txt");
const temp = makeTempDir("lowbit-addon-");
let addon: LowbitAddon;

beforeAll(() => {
  process.env.LOWBIT_ALLOW_ADDON_IN_PROCESS = "1";
  addon = loadAddon();
});
afterAll(() => temp.cleanup());

describe("the native addon", () => {
  it("refuses to load in the app's own process", () => {
    delete process.env.LOWBIT_ALLOW_ADDON_IN_PROCESS;
    try {
      expect(() => loadAddon()).toThrow(/only in the model worker process/);
    } finally {
      process.env.LOWBIT_ALLOW_ADDON_IN_PROCESS = "1";
    }
  });

  it("knows the same stock ggml types as Lowbit's table", () => {
    const native = addon.systemInfo().ggmlTypes;
    for (const type of ggmlTypes.filter((t) => t.id < stockGgmlTypeCount)) {
      expect(
        native.find((t) => t.id === type.id),
        type.name,
      ).toMatchObject({
        blockSize: type.blockSize,
        typeSize: type.typeSize,
      });
    }
  });

  it("plans a level without writing anything, to the exact size", async () => {
    const output = path.join(temp.dir, "planned.gguf");
    const plan = await addon.quantize({ inputPath: starter, ftype: 15, dryRun: true, threads: 1 })
      .promise;
    expect(existsSync(output)).toBe(false);
    const real = await addon.quantize({
      inputPath: starter,
      outputPath: output,
      ftype: 15,
      threads: 1,
    }).promise;
    expect(statSync(output).size).toBe(plan.fileBytes);
    expect(real.fileBytes).toBe(plan.fileBytes);
    expect(real.tensors).toEqual(plan.tensors);
    expect(plan.tensors).toHaveLength(56);
  });

  it("quantizes off the JS thread, reporting every tensor in order", async () => {
    const seen: NativeQuantizeProgress[] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const started = Date.now();
    await addon.quantize(
      { inputPath: starter, outputPath: path.join(temp.dir, "q6.gguf"), ftype: 18, threads: 1 },
      (p) => seen.push(p),
    ).promise;
    clearInterval(timer);
    const elapsed = Date.now() - started;
    // The event loop kept running: most 10 ms ticks fired while llama.cpp worked.
    expect(ticks).toBeGreaterThan(elapsed / 10 / 3);
    expect(seen.map((p) => p.tensorIndex)).toEqual(seen.map((_, i) => i + 1));
    expect(seen.every((p) => p.tensorCount === 56)).toBe(true);
    expect(seen[0]?.name).toMatch(/\.weight$/);
  });

  it("stops at the next tensor when cancelled, and runs one job at a time", async () => {
    const handle = addon.quantize(
      { inputPath: starter, outputPath: path.join(temp.dir, "c.gguf"), ftype: 15, threads: 1 },
      (p) => p.tensorIndex === 2 && handle.cancel(),
    );
    const other = addon.quantize({ inputPath: starter, ftype: 15, dryRun: true });
    const [first, second] = await Promise.allSettled([handle.promise, other.promise]);
    expect(first).toMatchObject({ status: "rejected", reason: { code: "cancelled" } });
    expect(second).toMatchObject({ status: "rejected", reason: { code: "busy" } });
  });

  it("rejects with llama.cpp's reason: missing file, missing importance matrix", async () => {
    await expect(
      addon.quantize({
        inputPath: "/no/such.gguf",
        outputPath: path.join(temp.dir, "x.gguf"),
        ftype: 15,
      }).promise,
    ).rejects.toMatchObject({ code: "failed", message: expect.stringMatching(/no\/such\.gguf/) });
    await expect(
      addon.quantize({ inputPath: starter, outputPath: path.join(temp.dir, "x.gguf"), ftype: 19 })
        .promise,
    ).rejects.toMatchObject({ code: "imatrix_required" });
  });

  it("computes an importance matrix in llama-imatrix's GGUF format", async () => {
    const output = path.join(temp.dir, "starter.imatrix.gguf");
    const chunks: number[] = [];
    const result = await addon.computeImatrix(
      {
        modelPath: starter,
        textPath: calib,
        outputPath: output,
        chunkSize: 512,
        maxChunks: 3,
        datasetName: "calib",
      },
      (p) => chunks.push(p.chunk),
    ).promise;
    expect(chunks).toEqual([1, 2, 3]);
    // 6 layers × 7 weight matrices (q, k, v, o, gate, up, down); the output matrix is left out.
    expect(result).toMatchObject({ chunks: 3, chunkSize: 512, entries: 42 });
    expect(addon.readImatrix(output)).toEqual({
      entries: 42,
      chunkCount: 3,
      chunkSize: 512,
      hasMetadata: true,
      datasets: ["calib"],
    });
    const file = await readGgufFile(output);
    expect(file.metadata.get("general.type")?.value).toBe("imatrix");
    const sums = file.tensors.find((t) => t.name === "blk.0.ffn_down.weight.in_sum2")!;
    expect(sums.type.name).toBe("F32");
    // [input width of the matrix, matrices]; GGUF drops trailing dimensions of 1.
    expect(sums.dims).toEqual([1024]);
    const counts = file.tensors.find((t) => t.name === "blk.0.ffn_down.weight.counts");
    expect(counts?.dims).toEqual([1]);

    // And llama.cpp's quantizer takes it.
    const quantized = await addon.quantize({
      inputPath: starter,
      outputPath: path.join(temp.dir, "iq2.gguf"),
      ftype: 19,
      imatrixPath: output,
      threads: 1,
    }).promise;
    expect(quantized.imatrixEntries).toBe(42);
  });

  it("says when a calibration text is too short, and when a file is no importance matrix", async () => {
    const short = path.join(temp.dir, "short.txt");
    writeFileSync(short, "Only a few words.");
    await expect(
      addon.computeImatrix({
        modelPath: starter,
        textPath: short,
        outputPath: path.join(temp.dir, "s.gguf"),
      }).promise,
    ).rejects.toMatchObject({
      code: "text_too_short",
      message: expect.stringMatching(/too short/),
    });
    expect(() => addon.readImatrix(starter)).toThrow(/no importance data/);
  });
});
