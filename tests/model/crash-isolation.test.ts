import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kvSettingsDefaults } from "../../src-main/contract/index.js";
import { writeTinyModel } from "../../src-main/services/gguf/tinyModel.js";
import { ModelRuntime } from "../../src-main/services/runtime/modelRuntime.js";
import { spawnNodeWorker } from "../../src-main/services/runtime/workerProcess.js";
import { openHarness, type Harness } from "../helpers/appHarness.js";
import { makeTempDir } from "../helpers/tempDir.js";
import { tinyModelPath } from "../helpers/tinyModel.js";

/**
 * A GGUF without `llama.attention.head_count` passes a plain format check but makes llama.cpp
 * abort the whole process (GGML_ASSERT). That must cost the user a message, not the app.
 */
describe("a model that aborts llama.cpp", () => {
  const temp = makeTempDir();
  let aborting: string;
  beforeAll(async () => {
    aborting = (
      await writeTinyModel({
        path: path.join(temp.dir, "no-heads.gguf"),
        omitKeys: ["llama.attention.head_count"],
      })
    ).path;
  });
  afterAll(() => temp.cleanup());

  it("crashes only the worker; the runtime reports why and loads a good model on retry", async () => {
    const runtime = new ModelRuntime(spawnNodeWorker);
    try {
      const request = {
        contextSize: 256,
        threads: 1,
        plainText: true,
        kv: kvSettingsDefaults,
        memoryLimit: null,
      };
      const failure = await runtime
        .load({ ...request, model: { id: "bad", name: "bad", path: aborting } })
        .then(
          () => null,
          (error: unknown) => error,
        );
      expect(failure).toMatchObject({
        code: "worker_crashed",
        message: expect.stringMatching(/^The model process crashed: .+/),
      });
      expect((failure as Error).message).toMatch(/GGML_ASSERT|abort|SIGABRT|signal/i);
      expect(runtime.state.get()).toMatchObject({
        status: "crashed",
        error: { code: "worker_crashed" },
      });

      const good = await tinyModelPath();
      const state = await runtime.load({
        ...request,
        model: { id: "good", name: "good", path: good },
      });
      expect(state.status).toBe("ready");
      const reply = await runtime.generate(
        {
          input: { kind: "chat", system: null, turns: [{ role: "user", content: "Hi" }] },
          sampling: {
            maxTokens: 4,
            temperature: 0,
            topP: 1,
            topK: 0,
            minP: 0,
            repeatPenalty: 1,
            seed: 1,
          },
        },
        { onText: () => undefined },
      );
      expect(reply.tokens).toBeGreaterThan(0);
    } finally {
      runtime.dispose();
    }
  });

  describe("through the app", () => {
    let h: Harness;
    beforeAll(async () => {
      h = await openHarness("memory");
    });
    afterAll(async () => h.close());

    it("is refused at import with a message that names the problem, and nothing is registered", async () => {
      await expect(
        h.client.job("models.import", { path: aborting, link: true }),
      ).rejects.toMatchObject({
        code: "bad_model_file",
        message: expect.stringContaining("head_count"),
      });
      expect(await h.client.call("models.list", {})).toEqual([]);
    });
  });
});
