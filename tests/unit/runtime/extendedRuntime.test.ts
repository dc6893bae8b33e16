import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
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
