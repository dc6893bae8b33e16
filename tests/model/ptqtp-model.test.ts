/**
 * PTQTP end to end on the extended runtime: the start-up check finds Lowbit's types, the slider
 * offers both stops with exact sizes, the starter model quantized to each (with and without
 * calibration) is recognised by Lowbit's reader, loads, and chats. Skips where the extended
 * runtime was not built, except in CI, where it must be.
 */
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Model } from "../../src-main/contract/index.js";
import { openLowbit, type Lowbit } from "../../src-main/services/lowbit.js";
import { readGgufFile, validateModel } from "../../src-main/services/gguf/index.js";
import { ExtendedRuntimeProbe } from "../../src-main/services/runtime/extendedProbe.js";
import type { ExtendedRuntimeStatus } from "../../src-main/services/runtime/extendedRuntime.js";
import { extendedBuildRequired } from "../helpers/extendedBuild.js";
import { makeTempDir } from "../helpers/tempDir.js";

const temp = makeTempDir("lowbit-ptqtp-model-");
let status: ExtendedRuntimeStatus;
let app: Lowbit;
let starter: Model;

beforeAll(async () => {
  status = await new ExtendedRuntimeProbe().status();
  app = await openLowbit({ home: temp.dir, shell: "test", registerStarterModel: true });
  starter = app.library.list().find((m) => m.source === "bundled")!;
}, 120_000);

afterAll(() => {
  app?.close();
  temp.cleanup();
});

describe("the extended runtime", () => {
  it("is what node-llama-cpp loads, with both PTQTP types (required in CI)", () => {
    if (!extendedBuildRequired && !status.available) {
      return;
    }
    expect(status).toEqual({
      available: true,
      buildType: "localBuild",
      types: ["PTQTP1", "PTQTP2"],
    });
  });

  it("`lowbit runtime --json` reports the same, as one JSON object", () => {
    const cli = spawnSync(
      process.execPath,
      ["--import", "tsx", "tests/helpers/lowbitCli.ts", "runtime", "--json", "--home", temp.dir],
      { encoding: "utf8" },
    );
    expect(cli.status, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual({ extended: status });
  }, 120_000);
});

describe("the starter model at the PTQTP stops", () => {
  it("are offered with exact sizes, or unavailable with the reason when the runtime lacks them", async () => {
    const levels = await app.compress.levels(starter.id, {});
    for (const name of ["PTQTP1", "PTQTP2"]) {
      const level = levels.levels.find((l) => l.level === name)!;
      expect(level, name).toBeDefined();
      if (!status.available) {
        expect(level.available).toBe(false);
        expect(level.reason).toMatch(/needs the Lowbit extended runtime/);
        continue;
      }
      expect(level).toMatchObject({
        available: true,
        family: "ternary",
        baseType: name,
        // Calibration measured no gain for PTQTP: offered only on request.
        imatrixDefault: false,
      });
      // Linear weights at 3.5/4.25 bpw, embeddings (tied to the output) at Q6_K.
      expect(level.tensorTypes[name]).toBe(42);
      expect(level.sizeBytes).toBeLessThan(starter.sizeBytes / 2.5);
    }
  });

  it.each([
    ["PTQTP2", "off"],
    ["PTQTP1", "on"],
  ] as const)(
    "%s (calibration %s) is recognised, loads and chats",
    async (level, imatrix) => {
      if (!status.available) {
        return;
      }
      const planned = (await app.compress.levels(starter.id, {})).levels.find(
        (l) => l.level === level,
      )!;
      const { model, run } = await app.compress.quantize({
        modelId: starter.id,
        level,
        imatrix,
        imatrixChunks: 4,
        // PTQTP rounds with compensation by default: a short calibration keeps the test quick.
        calibrationChunks: 4,
        threads: 2,
        allowRequantize: false,
      });
      expect(run).toMatchObject({ status: "done", level, imatrix: imatrix === "on" });
      // Exact to the byte; calibration adds only its metadata keys (a few hundred bytes).
      const size = statSync(model.path).size;
      if (imatrix === "off") {
        expect(size).toBe(planned.sizeBytes);
      } else {
        expect(size - planned.sizeBytes).toBeGreaterThan(0);
        expect(size - planned.sizeBytes).toBeLessThan(4096);
      }
      expect(model.fileType).toBe(level);
      expect(model.typeHistogram[level]?.tensors).toBe(42);
      const problems = validateModel(await readGgufFile(model.path)).problems;
      expect(problems.map((p) => p.code)).toContain("needs_extended_runtime");

      // Chats answer with the selected model, as when the user picks it in the library.
      app.settings.set({
        "chat.maxTokens": 16,
        "chat.temperature": 0,
        "library.selectedModelId": model.id,
      });
      const conversation = app.chat.create({ modelId: model.id });
      let streamed = "";
      const result = await app.chat.send(conversation.id, "Once upon a time", {
        signal: new AbortController().signal,
        progress: (p) => {
          if (p.type === "token") {
            streamed += p.text;
          }
        },
      });
      expect(result.assistantMessage).toMatchObject({ modelId: model.id, content: streamed });
      expect(result.assistantMessage.stats?.tokens).toBeGreaterThan(0);
      // The starter model writes English words: a broken kernel gives noise or nothing.
      expect(streamed).toMatch(/\b(the|a|of|and|to|in|was|he|it)\b/i);
    },
    240_000,
  );
});
