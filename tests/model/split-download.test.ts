import path from "node:path";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readGgufFile } from "../../src-main/services/gguf/index.js";
import { splitCount } from "../../src-main/services/gguf/splitGguf.js";
import { FlakyServer } from "../helpers/flakyServer.js";
import { makeTempDir } from "../helpers/tempDir.js";
import { openApp } from "../unit/downloads/serviceHarness.js";
import { splitTinyModel } from "../unit/downloads/testModels.js";

/** Greedy tokens after `prompt`, in a fresh context. */
async function generate(model: LlamaModel, prompt: string, count: number): Promise<Token[]> {
  const context = await model.createContext({ contextSize: 256, threads: 1 });
  try {
    const tokens: Token[] = [];
    for await (const token of context
      .getSequence()
      .evaluate(model.tokenize(prompt), { temperature: 0 })) {
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

describe("a split model downloaded from the hub", () => {
  let llama: Llama;
  let server: FlakyServer;
  let temp: ReturnType<typeof makeTempDir>;

  beforeAll(async () => {
    llama = await getLlama({ build: "never", logLevel: LlamaLogLevel.error });
    server = await FlakyServer.start();
    temp = makeTempDir();
  });
  afterAll(async () => {
    await llama?.dispose();
    await server?.close();
    temp?.cleanup();
  });

  it("passes the load checks and generates what the unsplit model generates", async () => {
    const split = await splitTinyModel(temp.dir, 11, 3);
    server.addRepo(
      "acme/Split-GGUF",
      split.parts.map((bytes, i) => ({
        path: `Split-F16-0000${i + 1}-of-00003.gguf`,
        bytes,
      })),
    );
    const app = await openApp(path.join(temp.dir, "home"), server.url);
    try {
      const record = await app.downloads.add({ source: "hf:acme/Split-GGUF" });
      expect(record.files).toHaveLength(3);
      const model = await app.downloads.waitFor(record.id);
      // The checks a load runs first see the whole model, not just the first part.
      await expect(app.library.prepareLoad(model, app.settings.get())).resolves.toMatchObject({
        model: { id: model.id },
      });
      const fromParts = await llama.loadModel({ modelPath: model.path });
      const whole = await llama.loadModel({ modelPath: path.join(temp.dir, "whole-11.gguf") });
      try {
        expect(splitCount(await readGgufFile(model.path))).toBe(3);
        const expected = await generate(whole, "Once upon a time", 8);
        expect(await generate(fromParts, "Once upon a time", 8)).toEqual(expected);
      } finally {
        await fromParts.dispose();
        await whole.dispose();
      }
    } finally {
      app.close();
    }
  });
});
