import {
  copyFileSync,
  existsSync,
  readdirSync,
  writeFileSync,
  readFileSync,
  truncateSync,
  statSync,
} from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureFreeSpace } from "../../../src-main/services/library/diskSpace.js";
import { openLowbit, type Lowbit } from "../../../src-main/services/lowbit.js";
import { makeTempDir } from "../../helpers/tempDir.js";
import { tinyModelPath } from "../../helpers/tinyModel.js";

describe("library", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let app: Lowbit;
  beforeEach(async () => {
    temp = makeTempDir();
    app = await openLowbit({ home: temp.dir, shell: "test", registerStarterModel: false });
  });
  afterEach(() => {
    app.close();
    temp.cleanup();
  });

  it("copies a model in, describes it, and hashes it", async () => {
    const source = await tinyModelPath();
    const model = await app.library.import({ path: source, link: false });
    expect(model.path).toBe(path.join(temp.dir, "models", path.basename(source)));
    expect(readFileSync(model.path).equals(readFileSync(source))).toBe(true);
    expect(model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(model.id).toBe(model.sha256.slice(0, 12));
    expect(model.arch).toBe("llama");
    expect(model.typeHistogram.F16?.tensors).toBeGreaterThan(0);
    expect(model.bpw).toBeGreaterThan(15.9);
    expect(
      readdirSync(path.join(temp.dir, "models")).filter((f) => f.endsWith(".partial")),
    ).toEqual([]);
  });

  it("links a model in place without copying", async () => {
    const source = await tinyModelPath();
    const model = await app.library.import({ path: source, link: true, name: "Mine" });
    expect(model).toMatchObject({ path: source, linked: true, name: "Mine" });
    expect(readdirSync(path.join(temp.dir, "models"))).toEqual([]);
  });

  it("refuses the same model twice", async () => {
    const source = await tinyModelPath();
    await app.library.import({ path: source, link: true });
    const copy = path.join(temp.dir, "again.gguf");
    copyFileSync(source, copy);
    await expect(app.library.import({ path: copy, link: false })).rejects.toMatchObject({
      code: "already_exists",
    });
    expect(app.library.list()).toHaveLength(1);
    expect(readdirSync(path.join(temp.dir, "models"))).toEqual([]);
  });

  const badFiles: Array<[string, (file: string) => void, RegExp]> = [
    ["a text file", (f) => writeFileSync(f, "hello, I am not a model\n"), /not a GGUF|text/i],
    [
      "a PNG image",
      (f) => writeFileSync(f, Buffer.from("89504e470d0a1a0a0000000d49484452", "hex")),
      /PNG|image/i,
    ],
    ["an empty file", (f) => writeFileSync(f, ""), /empty/i],
  ];
  for (const [what, make, message] of badFiles) {
    it(`refuses ${what} with a clear message and registers nothing`, async () => {
      const file = path.join(temp.dir, "bad.gguf");
      make(file);
      await expect(app.library.import({ path: file, link: false })).rejects.toMatchObject({
        code: "bad_model_file",
        message: expect.stringMatching(message),
      });
      expect(app.library.list()).toEqual([]);
      expect(readdirSync(path.join(temp.dir, "models"))).toEqual([]);
    });
  }

  it("refuses a truncated model (an interrupted download) and says so", async () => {
    const file = path.join(temp.dir, "cut.gguf");
    copyFileSync(await tinyModelPath(), file);
    truncateSync(file, Math.floor(statSync(file).size * 0.6));
    await expect(app.library.import({ path: file, link: true })).rejects.toMatchObject({
      code: "bad_model_file",
      message: expect.stringMatching(/truncated/i),
    });
    expect(app.library.list()).toEqual([]);
  });

  it("says when there is no file at all", async () => {
    await expect(
      app.library.import({ path: path.join(temp.dir, "nope.gguf"), link: false }),
    ).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("re-checks a linked file before loading it: a file damaged after import never reaches llama.cpp", async () => {
    const file = path.join(temp.dir, "linked.gguf");
    copyFileSync(await tinyModelPath(), file);
    const model = await app.library.import({ path: file, link: true });
    truncateSync(file, 1000);
    await expect(app.library.prepareLoad(model, app.settings.get())).rejects.toMatchObject({
      code: "bad_model_file",
    });
  });

  it("removes its own copy but never a linked file", async () => {
    const source = await tinyModelPath();
    const linked = await app.library.import({ path: source, link: true });
    expect(await app.library.remove(linked.id, true)).toEqual({
      removed: true,
      fileDeleted: false,
    });
    expect(existsSync(source)).toBe(true);
    const copied = await app.library.import({ path: source, link: false });
    expect(await app.library.remove(copied.id, true)).toEqual({ removed: true, fileDeleted: true });
    expect(existsSync(copied.path)).toBe(false);
  });

  it("resolves a model by id, name or path", async () => {
    const model = await app.library.import({
      path: await tinyModelPath(),
      link: true,
      name: "Tiny",
    });
    expect(app.library.resolve(model.id).id).toBe(model.id);
    expect(app.library.resolve("Tiny").id).toBe(model.id);
    expect(app.library.resolve(model.path).id).toBe(model.id);
    expect(() => app.library.resolve("Huge")).toThrow(/No model “Huge”/);
  });

  it("refuses to copy when the disk cannot hold the file", async () => {
    await expect(ensureFreeSpace(temp.dir, 2 ** 60, "model.gguf")).rejects.toMatchObject({
      code: "disk_full",
      message: expect.stringMatching(/Not enough disk space for model\.gguf/),
    });
  });
});
