import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readGgufFile } from "../../src-main/services/gguf/ggufReader.js";
import type { LowbitAddon } from "../../src-main/services/native/AddonTypes.js";
import { loadAddon } from "../../src-main/services/native/loadAddon.js";
import { makeTempDir } from "../helpers/tempDir.js";

/**
 * Calibrated k-quant files are plain llama.cpp files: `lowbit quantize --method gptq` on the
 * starter model (every linear layer rounded column by column on the k-quant grids) keeps every
 * tensor's type of the same level's round-to-nearest file, changes the weights without making
 * the model worse, and the file loads and generates in node-llama-cpp's prebuilt (stock)
 * runtime. Three levels cover all six grids (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS).
 */
const calib = path.resolve("resources/data/brown/calib.txt");
const evalText = path.resolve("resources/data/brown/eval.txt");
const temp = makeTempDir("lowbit-gptq-stock-");

const levels = [
  { level: "Q2_K", grids: ["Q2_K", "Q3_K", "Q4_K"] },
  { level: "Q5_K_M", grids: ["Q5_K", "Q6_K"] },
  { level: "IQ4_XS", grids: ["IQ4_XS", "Q5_K"] },
];

/** `lowbit … --json` as a process, the way a user runs it; its one JSON object. */
function lowbit(args: string[]): Record<string, unknown> {
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", "tests/helpers/lowbitCli.ts", "--home", temp.dir, "--json", ...args],
    { encoding: "utf8", timeout: 170_000 },
  );
  expect(run.status, run.stdout + run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

let addon: LowbitAddon;
let starterId: string;
const calibrated: string[] = [];

beforeAll(() => {
  process.env.LOWBIT_ALLOW_ADDON_IN_PROCESS = "1";
  addon = loadAddon();
  const models = lowbit(["models", "list"]) as unknown as { id: string; path: string }[];
  const starter = models.find((m) => m.path.endsWith("lowbit-starter-18m.gguf"));
  expect(starter, "the starter model is in a fresh library").toBeDefined();
  starterId = starter!.id;
}, 60_000);
afterAll(() => temp.cleanup());

describe("k-quant files written with calibrated rounding", () => {
  it.each(levels)(
    "$level: llama.cpp's types, other weights, no worse",
    async ({ level, grids }) => {
      const quantize = (method: string) =>
        lowbit([
          ...["quantize", starterId, "--level", level, "--method", method, "--imatrix", "off"],
          ...["--calibration-text", calib, "--calibration-chunks", "2", "--threads", "1"],
        ]);
      const plain = quantize("rtn");
      const gptq = quantize("gptq");
      expect(gptq).toMatchObject({ method: "gptq", level, gptq: { tensors: 42 } });
      const [plainPath, gptqPath] = [plain.outputPath as string, gptq.outputPath as string];
      expect(gptqPath).not.toBe(plainPath);

      const [before, after] = await Promise.all([readGgufFile(plainPath), readGgufFile(gptqPath)]);
      const types = (file: typeof before) => file.tensors.map((t) => `${t.name} ${t.type.name}`);
      expect(types(after)).toEqual(types(before));
      // The grids this level exercises: the types of its 42 layer matrices.
      const layerTypes = new Set(
        after.tensors.filter((t) => t.name.startsWith("blk.") && t.dims.length === 2),
      );
      expect([...new Set([...layerTypes].map((t) => t.type.name))].sort()).toEqual(
        [...grids].sort(),
      );
      expect(readFileSync(gptqPath).equals(readFileSync(plainPath))).toBe(false);

      // A grid that packed levels wrongly would wreck the model; calibration should not hurt it.
      const ppl = async (modelPath: string) =>
        (
          await addon.evaluate({ modelPath, textPath: evalText, contextSize: 256, maxChunks: 8 })
            .promise
        ).ppl;
      const plainPpl = await ppl(plainPath);
      const gptqPpl = await ppl(gptqPath);
      expect(gptqPpl).toBeLessThan(plainPpl * 1.02);
      calibrated.push(gptqPath);
    },
  );

  it("load and generate in node-llama-cpp's prebuilt runtime", async () => {
    expect(calibrated).toHaveLength(levels.length);
    const result = await generateWithStockRuntime(calibrated);
    expect(result.buildType).toBe("prebuilt");
    for (const file of calibrated) {
      expect(result.texts[file], `${path.basename(file)}`).toMatch(/[a-z]{2,}.*[a-z]{2,}/i);
    }
  });
});

/**
 * Greedy text from each file in a process of its own, on node-llama-cpp's prebuilt binaries even
 * where Lowbit's extended build is installed: a custom CMake option names a local build that does
 * not exist, so node-llama-cpp falls through to the prebuilt one (checked by buildType). A script
 * file, not `node -e`: node-llama-cpp tests its binary by forking with the parent's execArgv.
 */
async function generateWithStockRuntime(
  files: string[],
): Promise<{ buildType: string; texts: Record<string, string> }> {
  const nodeLlamaCpp = pathToFileURL(createRequire(import.meta.url).resolve("node-llama-cpp"));
  const script = path.join(temp.dir, "generate-stock.mjs");
  writeFileSync(
    script,
    [
      `const { getLlama, LlamaCompletion } = await import(${JSON.stringify(nodeLlamaCpp.href)});`,
      `const llama = await getLlama({ build: "never", logLevel: "error",`,
      `  cmakeOptions: { LOWBIT_STOCK_RUNTIME: "1" } });`,
      `const texts = {};`,
      `for (const modelPath of process.argv.slice(2)) {`,
      `  const model = await llama.loadModel({ modelPath });`,
      `  const context = await model.createContext({ contextSize: 256, threads: 1 });`,
      `  const completion = new LlamaCompletion({ contextSequence: context.getSequence() });`,
      `  texts[modelPath] = await completion.generateCompletion("The old man walked",`,
      `    { maxTokens: 16, temperature: 0 });`,
      `  await context.dispose();`,
      `  await model.dispose();`,
      `}`,
      `console.log(JSON.stringify({ buildType: llama.buildType, texts }));`,
    ].join("\n"),
  );
  const child = spawn(process.execPath, [script, ...files], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
}
