/**
 * The PTQTP C tests (native/tests/test-ptqtp.c): compiled against the patched llama.cpp source
 * and linked to the libraries of the extended build, then run; and, where an ARM cross compiler
 * and qemu are installed, the NEON kernels cross-compiled and checked against the scalar
 * reference under emulation.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { extendedBuildRequired, findExtendedBuild } from "../helpers/extendedBuild.js";
import { makeTempDir } from "../helpers/tempDir.js";

const build = findExtendedBuild();
const temp = makeTempDir("lowbit-ptqtp-c-");
afterAll(() => temp.cleanup());

const ext = path.resolve("native", "ggml-ext");
const tests = path.resolve("native", "tests");

function has(command: string): boolean {
  return spawnSync(command, ["--version"], { stdio: "ignore" }).status === 0;
}

function summary(output: string): { passed: number; failed: number } {
  const m = /^(\d+) passed, (\d+) failed$/m.exec(output);
  expect(m, output.slice(-2000)).not.toBeNull();
  return { passed: Number(m![1]), failed: Number(m![2]) };
}

describe("PTQTP C tests", () => {
  it("the extended build is there when CI runs", () => {
    if (extendedBuildRequired) {
      expect(
        build,
        "native/patches/extended-build.mjs did not build the extended runtime",
      ).not.toBeNull();
    }
  });

  it.skipIf(build === null)("pass against the extended build's ggml", () => {
    const exe = path.join(temp.dir, "test-ptqtp");
    const cc = spawnSync(
      "cc",
      [
        "-O2",
        "-std=c11",
        "-march=native",
        `-I${path.join(build!.source, "ggml", "include")}`,
        `-I${path.join(build!.source, "ggml", "src")}`,
        `-I${ext}`,
        path.join(tests, "test-ptqtp.c"),
        `-L${build!.libDir}`,
        "-lggml-cpu",
        "-lggml-base",
        `-Wl,-rpath,${build!.libDir}`,
        "-lm",
        "-o",
        exe,
      ],
      { encoding: "utf8" },
    );
    expect(cc.status, cc.stderr).toBe(0);
    const run = spawnSync(exe, [temp.dir], { encoding: "utf8" });
    const result = summary(run.stdout);
    expect(result.failed, run.stdout).toBe(0);
    expect(result.passed).toBeGreaterThan(150);
    expect(run.status).toBe(0);
  });

  const cross = has("aarch64-linux-gnu-gcc") && has("qemu-aarch64");
  it.skipIf(build === null || !cross)("NEON kernels agree with the scalar reference (qemu)", () => {
    for (const march of ["armv8.2-a+dotprod", "armv8-a"]) {
      const exe = path.join(temp.dir, `test-ptqtp-${march.replace(/[^a-z0-9]/g, "")}`);
      const cc = spawnSync(
        "aarch64-linux-gnu-gcc",
        [
          "-O2",
          "-std=c11",
          "-static",
          "-DPTQTP_STANDALONE",
          `-march=${march}`,
          `-I${ext}`,
          `-I${path.join(build!.source, "ggml", "include")}`,
          `-I${path.join(build!.source, "ggml", "src")}`,
          path.join(tests, "test-ptqtp.c"),
          path.join(tests, "fp16-stub.c"),
          path.join(ext, "ptqtp-solver.c"),
          path.join(ext, "ptqtp-quants.c"),
          path.join(ext, "ptqtp-cpu.c"),
          "-lm",
          "-o",
          exe,
        ],
        { encoding: "utf8" },
      );
      expect(cc.status, cc.stderr).toBe(0);
      const run = spawnSync("qemu-aarch64", [exe], { encoding: "utf8" });
      expect(run.stdout).toMatch(/neon/);
      expect(summary(run.stdout).failed, run.stdout).toBe(0);
    }
  });
});
