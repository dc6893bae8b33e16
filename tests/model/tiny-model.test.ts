import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extensionGgmlTypeIds, ggmlTypes } from "../../src-main/services/gguf/ggmlTypes.js";
import { readGgufFile, validateModel } from "../../src-main/services/gguf/index.js";
import { makeTinyModel } from "../helpers/tinyModels.js";

let dir = "";
let llama: Llama;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lowbit-tiny-model-"));
  // "never": a failed prebuilt binary must fail the test, not start a 5-minute source build.
  llama = await getLlama({ build: "never", logLevel: LlamaLogLevel.error });
});

afterAll(async () => {
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** Greedy decoding of `count` tokens after `prompt`, in a fresh context. */
async function generate(model: LlamaModel, prompt: string, count: number): Promise<Token[]> {
  const context = await model.createContext({ contextSize: 256, threads: 1 });
  try {
    const tokens: Token[] = [];
    const sequence = context.getSequence();
    for await (const token of sequence.evaluate(model.tokenize(prompt), { temperature: 0 })) {
      tokens.push(token);
      if (tokens.length === count) {
        break;
      }
    }
    return tokens;
  } finally {
    await context.dispose();
  }
}

describe.each(["f16", "f32"] as const)("a tiny %s model written by writeTinyModel", (type) => {
  it("loads in llama.cpp, tokenizes bytes losslessly and generates tokens", async () => {
    const path = await makeTinyModel(dir, { type, vocab: 512 });
    expect(validateModel(await readGgufFile(path)).ok).toBe(true);
    const model = await llama.loadModel({ modelPath: path });
    try {
      expect(model.trainContextSize).toBe(512);
      expect(model.tokens.bos).toBe(509); // <|endoftext|>
      expect(model.tokens.eos).toBe(511); // <|im_end|>

      // Byte-level BPE: any text survives, including multi-byte characters and newlines.
      const text = "Hello wörld 🌍\n\tend";
      expect(model.detokenize(model.tokenize(text))).toBe(text);
      // The merges are in effect: " t" is one token, not two bytes.
      expect(model.tokenize(" t")).toHaveLength(1);

      const first = await generate(model, "The quick brown fox", 8);
      expect(first).toHaveLength(8);
      expect(first.every((t) => t >= 0 && t < 512)).toBe(true);
      // Greedy decoding of finite logits is deterministic.
      expect(await generate(model, "The quick brown fox", 8)).toEqual(first);
    } finally {
      await model.dispose();
    }
  });
});

describe("ggml type table against the loaded native library", () => {
  it("has the block and type sizes ggml itself reports", () => {
    const bindings = (llama as unknown as { _bindings: NativeTypeSizes })._bindings;
    for (const type of ggmlTypes) {
      // Lowbit's own types exist only in the extended runtime (a local build); stock binaries
      // must not know them at all.
      const expected =
        extensionGgmlTypeIds.has(type.id) && llama.buildType === "prebuilt"
          ? [undefined, undefined]
          : [type.blockSize, type.typeSize];
      expect(
        [bindings.getBlockSizeForGgmlType(type.id), bindings.getTypeSizeForGgmlType(type.id)],
        type.name,
      ).toEqual(expected);
    }
  });
});

interface NativeTypeSizes {
  getBlockSizeForGgmlType(type: number): number | undefined;
  getTypeSizeForGgmlType(type: number): number | undefined;
}

describe("a file missing llama.attention.head_count", () => {
  it("passes the format reader, is flagged by validateModel, and aborts llama.cpp", async () => {
    const path = await makeTinyModel(dir, {
      type: "f32",
      omitKeys: ["llama.attention.head_count"],
    });
    const validation = validateModel(await readGgufFile(path));
    expect(validation.ok).toBe(false);
    expect(validation.problems).toContainEqual(
      expect.objectContaining({ code: "missing_key", subject: "llama.attention.head_count" }),
    );

    // Loaded in a process of its own, as the app does: llama.cpp kills it with SIGABRT.
    const result = await loadInChildProcess(path);
    expect(result.signal === "SIGABRT" || result.code === 134, JSON.stringify(result)).toBe(true);
    expect(result.stderr).toMatch(/GGML_ASSERT/);
  });
});

/**
 * A script file, not `node -e`: node-llama-cpp tests its binary by forking with the parent's
 * execArgv, and under `-e` that fork fails, which makes getLlama fall back to a source build.
 */
async function loadInChildProcess(modelPath: string) {
  const nodeLlamaCpp = pathToFileURL(createRequire(import.meta.url).resolve("node-llama-cpp"));
  const script = join(dir, "load-model.mjs");
  await writeFile(
    script,
    `const { getLlama } = await import(${JSON.stringify(nodeLlamaCpp.href)});\n` +
      `const llama = await getLlama({ build: "never", logLevel: "error" });\n` +
      `await llama.loadModel({ modelPath: process.argv[2] });\n` +
      `console.log("loaded");\n`,
  );
  return new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [script, modelPath], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code, signal) => resolve({ code, signal, stderr }));
  });
}
