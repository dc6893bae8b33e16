import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Model, QuantizeProgress } from "../../src-main/contract/index.js";
import { openLowbit } from "../../src-main/services/lowbit.js";
import {
  spawnNodeWorker,
  type WorkerHandle,
  type WorkerSpawner,
} from "../../src-main/services/runtime/workerProcess.js";
import { openHarness, type Harness } from "../helpers/appHarness.js";
import { makeTempDir } from "../helpers/tempDir.js";
import { tinyModelPath } from "../helpers/tinyModel.js";

/**
 * Quantization jobs end cleanly however they end: cancelled, their process killed, or the whole
 * app killed mid-way. Each leaves no partial file and no model, and says so in its run. They
 * run on the starter model (56 tensors, about a second per level), slow enough to interrupt.
 */
const spawned: WorkerHandle[] = [];
const recording: WorkerSpawner = () => {
  const handle = spawnNodeWorker();
  spawned.push(handle);
  return handle;
};

let h: Harness;
let starter: Model;

beforeAll(async () => {
  h = await openHarness("memory", { registerStarterModel: true, spawnWorker: recording });
  starter = h.app.library.list().find((m) => m.source === "bundled")!;
}, 60_000);
afterAll(async () => h?.close());

const partials = (home: string) =>
  readdirSync(path.join(home, "models")).filter((name) => name.endsWith(".partial"));

const request = (level: string) => ({
  modelId: starter.id,
  level,
  imatrix: "off" as const,
  threads: 1,
  allowRequantize: false,
});

describe("a quantization job", () => {
  it("cancelled mid-way keeps no partial file, registers no model, and says cancelled", async () => {
    const stop = new AbortController();
    const seen: QuantizeProgress[] = [];
    const job = h.app.compress.quantize(request("Q4_K_M"), {
      signal: stop.signal,
      progress: (p) => {
        seen.push(p);
        if ((p.tensorIndex ?? 0) >= 3) {
          stop.abort();
        }
      },
    });
    await expect(job).rejects.toMatchObject({ code: "cancelled" });
    expect(seen.some((p) => p.phase === "quantizing" && p.tensorIndex === 3)).toBe(true);
    expect(seen.some((p) => p.phase === "verifying")).toBe(false);
    expect(partials(h.home)).toEqual([]);
    expect(h.app.library.list().map((m) => m.id)).toEqual([starter.id]);
    const [run] = h.app.compress.runs.list(1);
    expect(run).toMatchObject({ status: "cancelled", outputModelId: null, level: "Q4_K_M" });
    const [jobRow] = h.app.jobs.list(1);
    expect(jobRow).toMatchObject({ kind: "quantize", state: "cancelled" });
  });

  it("whose process is killed fails with the crash, keeps nothing, and the next job works", async () => {
    const before = spawned.length;
    const job = h.app.compress.quantize(request("Q4_K_M"), {
      progress: (p) => {
        if (p.tensorIndex === 5) {
          spawned.at(-1)?.kill();
        }
      },
    });
    await expect(job).rejects.toMatchObject({
      code: "worker_crashed",
      message: expect.stringMatching(/compression process crashed.*SIGKILL/),
    });
    expect(spawned.length).toBe(before + 1);
    expect(partials(h.home)).toEqual([]);
    expect(h.app.library.list()).toHaveLength(1);
    expect(h.app.compress.runs.list(1)[0]?.status).toBe("failed");

    const { model, run } = await h.app.compress.quantize(request("Q8_0"));
    expect(run.status).toBe("done");
    expect(existsSync(model.path)).toBe(true);
  });

  it("waits its turn behind another, and runs.cancel stops it while it waits", async () => {
    const phases: string[] = [];
    const first = h.app.compress.quantize(request("Q6_K"));
    const second = h.app.compress.quantize(request("Q5_K_S"), {
      progress: (p) => phases.push(p.phase),
    });
    await waitFor(() => h.app.compress.runs.list(2).some((r) => r.status === "queued"));
    const queued = h.app.compress.runs.list(2).find((r) => r.status === "queued")!;
    expect(queued.level).toBe("Q5_K_S");
    expect(h.app.jobs.list(2).some((j) => j.state === "queued")).toBe(true);
    expect(h.app.compress.cancel(queued.id)).toBe(true);
    await expect(second).rejects.toMatchObject({ code: "cancelled" });
    expect(phases).toEqual(["queued"]);
    expect((await first).run.status).toBe("done");
    expect(h.app.compress.runs.get(queued.id).status).toBe("cancelled");
  });

  it("refuses to requantize a quantized model unless the user confirms", async () => {
    const q8 = h.app.library.list().find((m) => m.fileType === "Q8_0")!;
    await expect(
      h.app.compress.quantize({ ...request("Q4_K_M"), modelId: q8.id }),
    ).rejects.toMatchObject({
      code: "invalid_params",
      message: expect.stringMatching(/already quantized \(Q8_0\)/),
    });
    const levels = await h.app.compress.levels(q8.id, {});
    expect(levels.model.quantized).toBe(true);
    expect(levels.levels.find((l) => l.level === "Q6_K")).toMatchObject({ available: true });
    expect(levels.levels.find((l) => l.level === "F16")?.reason).toMatch(
      /More bits than the source/,
    );
    const { model, run } = await h.app.compress.quantize({
      ...request("Q4_K_M"),
      modelId: q8.id,
      allowRequantize: true,
    });
    expect(model.fileType).toBe("Q4_K_M");
    expect(run.options.allowRequantize).toBe(true);
  });

  it("explains that a level needs calibration when it is turned off", async () => {
    await expect(h.app.compress.quantize(request("IQ2_XXS"))).rejects.toMatchObject({
      code: "invalid_params",
      message: expect.stringMatching(/IQ2_XXS needs an importance matrix/),
    });
    await expect(h.app.compress.quantize(request("Q7_Z"))).rejects.toThrow(
      /no compression level “Q7_Z”/,
    );
  });

  it("calibrates on the user's text and records that text's hash on the run", async () => {
    const text = path.join(h.home, "notes.txt");
    const { writeFileSync, readFileSync } = await import("node:fs");
    const { createHash } = await import("node:crypto");
    writeFileSync(
      text,
      readFileSync(path.join("resources/data/brown/calib.txt"), "utf8").slice(0, 60_000),
    );
    const { run, model } = await h.app.compress.quantize({
      ...request("Q3_K_S"),
      imatrix: "on",
      imatrixTextPath: text,
      imatrixChunks: 2,
    });
    expect(run).toMatchObject({
      imatrix: true,
      imatrixDataset: "notes.txt",
      imatrixTextSha256: createHash("sha256").update(readFileSync(text)).digest("hex"),
    });
    expect(model.fileType).toBe("Q3_K_S");
  });
});

describe("without the native addon", () => {
  it("compression says how to build it, and the rest of the app keeps working", async () => {
    const bare = await openHarness("memory");
    const before = process.env.LOWBIT_ADDON;
    process.env.LOWBIT_ADDON = "/nonexistent/lowbit_addon.node";
    try {
      const source = await bare.app.library.import({ path: await tinyModelPath(), link: true });
      await expect(bare.app.compress.levels(source.id, {})).rejects.toMatchObject({
        code: "unsupported",
        message: expect.stringMatching(/native addon, which is not built/),
        hint: expect.stringMatching(/npm run build:addon/),
      });
      expect(bare.app.library.list()).toHaveLength(1);
    } finally {
      if (before === undefined) {
        delete process.env.LOWBIT_ADDON;
      } else {
        process.env.LOWBIT_ADDON = before;
      }
      await bare.close();
    }
  });
});

describe("the app dying mid-job", () => {
  it("is recovered at the next start: job and run failed, partial file gone, no model", async () => {
    const temp = makeTempDir();
    try {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", "tests/helpers/lowbitCli.ts", "--home", temp.dir, "quantize",
          "Lowbit Starter 18M", "--level", "IQ2_XXS", "--chunks", "2", "--threads", "1"],
        { stdio: ["ignore", "ignore", "pipe"] },
      ); // prettier-ignore
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      await waitFor(() => {
        if (child.exitCode !== null) {
          throw new Error(`lowbit quantize ended before it was killed:\n${stderr}`);
        }
        return /quantizing [1-9]0%/.test(stderr);
      }, 120_000);
      expect(partials(temp.dir)).toHaveLength(1);
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("close", resolve));

      const app = await openLowbit({ home: temp.dir, shell: "test", runDownloads: false });
      try {
        expect(app.jobs.list(5)[0]).toMatchObject({ kind: "quantize", state: "failed" });
        expect(app.compress.runs.list(5)[0]).toMatchObject({
          level: "IQ2_XXS",
          status: "failed",
          error: { message: expect.stringMatching(/Lowbit stopped/) },
        });
        expect(app.library.list().map((m) => m.source)).toEqual(["bundled"]);
        expect(partials(temp.dir)).toEqual([]);
        expect(
          readdirSync(path.join(temp.dir, "imatrix")).filter((f) => f.endsWith(".partial")),
        ).toEqual([]);
      } finally {
        app.close();
      }
    } finally {
      temp.cleanup();
    }
  }, 180_000);
});

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) {
      throw new Error("timed out waiting for a condition");
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
