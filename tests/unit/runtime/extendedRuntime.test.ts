import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeGgufFile } from "../../../src-main/services/gguf/index.js";
import { explainRefusedModel } from "../../../src-main/services/runtime/extendedProbe.js";
import {
  judgeExtendedRuntime,
  needsExtendedRuntime,
  readExtendedBuildOutcome,
  type GgmlTypeSizes,
} from "../../../src-main/services/runtime/extendedRuntime.js";

const extended: GgmlTypeSizes = (id) =>
  id === 96
    ? { blockSize: 256, typeSize: 112 }
    : id === 97
      ? { blockSize: 256, typeSize: 136 }
      : {};
const stock: GgmlTypeSizes = () => ({});

describe("the extended runtime check", () => {
  it("accepts a local build that knows both PTQTP types at Lowbit's sizes", () => {
    expect(judgeExtendedRuntime("localBuild", extended, null)).toEqual({
      available: true,
      buildType: "localBuild",
      types: ["PTQTP1", "PTQTP2"],
    });
  });

  it("explains the prebuilt binaries, a failed build and a local build without the patches", () => {
    const prebuilt = judgeExtendedRuntime("prebuilt", stock, null);
    expect(prebuilt).toMatchObject({ available: false, types: [] });
    expect(prebuilt.reason).toMatch(/prebuilt llama.cpp binaries/);
    expect(prebuilt.hint).toMatch(/extended-build\.mjs/);

    const failed = judgeExtendedRuntime("prebuilt", stock, {
      status: "failed",
      reason: "0001-ggml-ptqtp-types.patch does not apply to the bundled llama.cpp",
      hint: "The bundled llama.cpp changed",
    });
    expect(failed.reason).toBe(
      "The extended runtime failed to build: 0001-ggml-ptqtp-types.patch does not apply to the bundled llama.cpp",
    );
    expect(failed.hint).toBe("The bundled llama.cpp changed");

    const unpatched = judgeExtendedRuntime("localBuild", stock, { status: "built" });
    expect(unpatched.reason).toMatch(/local build without Lowbit's types/);
    expect(needsExtendedRuntime("PTQTP1", unpatched)).toMatch(
      /^PTQTP1 needs the Lowbit extended runtime, which is not loaded: The loaded llama.cpp is a local build/,
    );
  });

  it("refuses a build whose types have other sizes (an old extended build)", () => {
    const old: GgmlTypeSizes = (id) =>
      id === 96 ? { blockSize: 256, typeSize: 100 } : extended(id);
    const status = judgeExtendedRuntime("localBuild", old, null);
    expect(status).toMatchObject({ available: false, types: ["PTQTP2"] });
    expect(status.reason).toMatch(/PTQTP1 with other sizes/);
  });

  it("reads the set-up's record, and nothing from a missing or broken one", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lowbit-outcome-"));
    try {
      const file = path.join(dir, "build", "outcome.json");
      expect(readExtendedBuildOutcome(file)).toBeNull();
      mkdirSync(path.dirname(file));
      writeFileSync(file, "{ not json");
      expect(readExtendedBuildOutcome(file)).toBeNull();
      writeFileSync(file, JSON.stringify({ status: "skipped", reason: "LOWBIT_SKIP_EXTENDED=1" }));
      expect(readExtendedBuildOutcome(file)).toMatchObject({ status: "skipped" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a model in Lowbit's types refused by a runtime without them", () => {
  it("gets an error that names the type and the missing runtime, and only then", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lowbit-refused-"));
    try {
      const ptqtp = path.join(dir, "ptqtp.gguf");
      const plain = path.join(dir, "plain.gguf");
      const write = (file: string, type: string, bytes: number) =>
        writeGgufFile(file, {
          metadata: { "general.architecture": { type: "string", value: "llama" } },
          tensors: [
            { name: "blk.0.ffn_up.weight", dims: [256, 2], type, data: new Uint8Array(bytes) },
          ],
        });
      await write(ptqtp, "PTQTP1", 2 * 112);
      await write(plain, "Q8_0", 2 * 8 * 34);
      const missing = async () => judgeExtendedRuntime("prebuilt", stock, null);
      const present = async () => judgeExtendedRuntime("localBuild", extended, null);

      const error = await explainRefusedModel({ name: "Tiny PTQTP1", path: ptqtp }, missing);
      expect(error?.toData()).toMatchObject({
        code: "unsupported",
        message: expect.stringMatching(
          /^Tiny PTQTP1 \(stored as PTQTP1, Lowbit's own type\) needs the Lowbit extended runtime, which is not loaded: .*prebuilt/,
        ),
        hint: expect.stringMatching(/extended-build\.mjs/),
      });
      expect(await explainRefusedModel({ name: "Tiny", path: ptqtp }, present)).toBeNull();
      expect(await explainRefusedModel({ name: "Plain", path: plain }, missing)).toBeNull();
      expect(
        await explainRefusedModel({ name: "Gone", path: path.join(dir, "no.gguf") }, missing),
      ).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
