import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  freeOutputPath,
  validateOutputPath,
} from "../../../src-main/services/compress/outputPath.js";
import { makeTempDir } from "../../helpers/tempDir.js";

describe("output paths the user chooses", () => {
  const temps: Array<{ cleanup(): void }> = [];
  afterEach(() => temps.splice(0).forEach((t) => t.cleanup()));
  const folder = () => {
    const t = makeTempDir();
    temps.push(t);
    return t.dir;
  };

  it("accepts a new .gguf file in an existing folder, as an absolute path", () => {
    const dir = folder();
    expect(validateOutputPath(path.join(dir, "out.gguf"), { overwrite: false })).toBe(
      path.join(dir, "out.gguf"),
    );
  });

  it("says what is wrong with a name without .gguf, a missing folder or a folder", () => {
    const dir = folder();
    expect(() => validateOutputPath(path.join(dir, "out.bin"), { overwrite: false })).toThrow(
      /does not end in \.gguf/,
    );
    expect(() =>
      validateOutputPath(path.join(dir, "nope", "out.gguf"), { overwrite: false }),
    ).toThrow(/folder .* does not exist/);
    mkdirSync(path.join(dir, "x.gguf"));
    expect(() => validateOutputPath(path.join(dir, "x.gguf"), { overwrite: true })).toThrow(
      /is a folder/,
    );
  });

  it("refuses to replace an existing file unless told to", () => {
    const dir = folder();
    const file = path.join(dir, "out.gguf");
    writeFileSync(file, "mine");
    expect(() => validateOutputPath(file, { overwrite: false })).toThrow(
      expect.objectContaining({ code: "already_exists" }),
    );
    expect(validateOutputPath(file, { overwrite: true })).toBe(file);
  });

  it("numbers a library file name past existing files and partial files", () => {
    const dir = folder();
    writeFileSync(path.join(dir, "m-Q4_K_M.gguf"), "");
    writeFileSync(path.join(dir, "m-Q4_K_M-1.gguf.partial"), "");
    expect(freeOutputPath(dir, "m-Q4_K_M.gguf")).toBe(path.join(dir, "m-Q4_K_M-2.gguf"));
  });
});
