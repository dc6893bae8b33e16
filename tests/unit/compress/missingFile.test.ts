import { copyFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Model } from "../../../src-main/contract/index.js";
import { openHarness, type Harness } from "../../helpers/appHarness.js";
import { tinyModelPath } from "../../helpers/tinyModel.js";

describe("compressing a model whose file is gone", () => {
  let h: Harness;
  let model: Model;

  beforeAll(async () => {
    h = await openHarness("memory");
    const file = path.join(h.home, "elsewhere.gguf");
    copyFileSync(await tinyModelPath(), file);
    model = await h.app.library.import({ path: file, link: true });
    rmSync(file);
  });
  afterAll(async () => h.close());

  it("says the file is gone, for the levels and for a quantization, and records nothing", async () => {
    const gone = { code: "not_found", message: expect.stringMatching(/file of .* is gone/) };
    await expect(h.app.compress.levels(model.id, {})).rejects.toMatchObject(gone);
    await expect(
      h.app.compress.quantize({
        modelId: model.id,
        level: "Q4_K_M",
        imatrix: "auto",
        threads: 1,
        allowRequantize: false,
      }),
    ).rejects.toMatchObject(gone);
    expect(h.app.compress.runs.list(10)).toEqual([]);
  });
});
