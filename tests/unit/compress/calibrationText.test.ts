import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  defaultCalibrationTextPath,
  resolveCalibrationText,
} from "../../../src-main/services/compress/calibration.js";
import { makeTempDir } from "../../helpers/tempDir.js";

describe("calibration texts", () => {
  const temp = makeTempDir();
  afterAll(() => temp.cleanup());

  it("defaults to the starter model's calibration split, hashed", async () => {
    const file = defaultCalibrationTextPath();
    expect(existsSync(file)).toBe(true);
    const text = await resolveCalibrationText(undefined);
    expect(text.path).toBe(file);
    expect(text.dataset).toBe("lowbit-starter/brown-calib.txt");
    expect(text.sha256).toBe(createHash("sha256").update(readFileSync(file)).digest("hex"));
  });

  it("takes any text file the user picks, named by its file name", async () => {
    const file = path.join(temp.dir, "my prompts.txt");
    writeFileSync(file, "Some typical text.\n".repeat(100));
    expect(await resolveCalibrationText(file)).toMatchObject({
      path: file,
      dataset: "my prompts.txt",
    });
  });

  it("says what is wrong with a missing, empty or binary file", async () => {
    await expect(resolveCalibrationText(path.join(temp.dir, "nope.txt"))).rejects.toMatchObject({
      code: "not_found",
    });
    const empty = path.join(temp.dir, "empty.txt");
    writeFileSync(empty, "");
    await expect(resolveCalibrationText(empty)).rejects.toThrow(/is empty/);
    const binary = path.join(temp.dir, "model.gguf");
    writeFileSync(binary, Buffer.from([0x47, 0x47, 0x55, 0x46, 0, 0, 0, 3]));
    await expect(resolveCalibrationText(binary)).rejects.toThrow(/is not a text file/);
  });
});
