import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openLowbit, type Lowbit } from "../../../src-main/services/lowbit.js";
import { makeTempDir } from "../../helpers/tempDir.js";
import { splitTinyModel } from "./testModels.js";

/** Split models on disk, as a download leaves them or a user keeps them. */
describe("split models in the library", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let app: Lowbit;
  let first: string;
  beforeEach(async () => {
    temp = makeTempDir();
    app = await openLowbit({ home: temp.dir, shell: "test", registerStarterModel: false });
    const split = await splitTinyModel(temp.dir, 3, 2);
    split.parts.forEach((bytes, i) =>
      writeFileSync(path.join(temp.dir, `m-Q8_0-0000${i + 1}-of-00002.gguf`), bytes),
    );
    first = path.join(temp.dir, "m-Q8_0-00001-of-00002.gguf");
  });
  afterEach(() => {
    app.close();
    temp.cleanup();
  });

  it("links a split model and checks all its parts together", async () => {
    const whole = await app.library.inspect(path.join(temp.dir, "whole-3.gguf"));
    const model = await app.library.import({ path: first, link: true });
    expect(model.params).toBe(whole.params);
    await expect(app.library.prepareLoad(model, app.settings.get())).resolves.toBeDefined();
  });

  it("refuses to copy only the first part of a split model", async () => {
    await expect(app.library.import({ path: first, link: false })).rejects.toMatchObject({
      code: "unsupported",
      hint: expect.stringContaining("link"),
    });
    expect(app.library.list()).toEqual([]);
  });

  it("says which part is missing instead of letting llama.cpp fail", async () => {
    const model = await app.library.import({ path: first, link: true });
    writeFileSync(path.join(temp.dir, "m-Q8_0-00002-of-00002.gguf"), "gone");
    await expect(app.library.prepareLoad(model, app.settings.get())).rejects.toMatchObject({
      code: "bad_model_file",
    });
    rmSync(path.join(temp.dir, "m-Q8_0-00002-of-00002.gguf"));
    await expect(app.library.prepareLoad(model, app.settings.get())).rejects.toMatchObject({
      message: expect.stringContaining("part 2 of 2 of this split model is missing"),
    });
  });
});
