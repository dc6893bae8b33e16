/**
 * The blocked factorization GPTQ needs per layer input (native/addon/src/gptq/inverseFactor.cpp:
 * the upper Cholesky factor of the damped inverse Gram matrix) against the algorithm it replaced
 * (native/tests/gptq-factor-reference.h): native/tests/test-gptq-factor.cpp, compiled with the
 * addon's flags, factorizes random SPD matrices of 64, 512 and 1000 columns (not a multiple of
 * the 64-wide panel), near-singular ones that need damping, and one with dead inputs, on one and
 * two threads, and requires the same factor within 1e-9 (normwise relative).
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeTempDir } from "../helpers/tempDir.js";

const temp = makeTempDir("lowbit-gptq-factor-");
afterAll(() => temp.cleanup());

const gptq = path.resolve("native", "addon", "src", "gptq");

describe("GPTQ inverse factor (C++)", () => {
  it("the blocked factor equals the previous algorithm's on every case", () => {
    const exe = path.join(temp.dir, "test-gptq-factor");
    const cxx = spawnSync(
      "c++",
      [
        // The addon's flags (binding.gyp): what ships is what is tested.
        "-O2",
        "-std=c++17",
        `-I${gptq}`,
        path.resolve("native", "tests", "test-gptq-factor.cpp"),
        path.join(gptq, "inverseFactor.cpp"),
        "-pthread",
        "-o",
        exe,
      ],
      { encoding: "utf8" },
    );
    expect(cxx.status, cxx.stderr).toBe(0);
    const run = spawnSync(exe, [], { encoding: "utf8" });
    const m = /^(\d+) passed, (\d+) failed$/m.exec(run.stdout);
    expect(m, run.stdout.slice(-2000) + run.stderr).not.toBeNull();
    expect(Number(m![2]), run.stdout).toBe(0);
    expect(Number(m![1])).toBe(72);
    for (const d of [64, 512, 1000]) {
      expect(run.stdout).toContain(`random SPD ${d} (2 threads): d=${d} raised=0`);
    }
    // Damping 0 on a rank-100 matrix: the ladder has to raise it, in both.
    expect(run.stdout).toMatch(/near-singular 300, damping 0 \(1 threads\): d=300 raised=[1-9]/);
    expect(run.status).toBe(0);
  }, 120_000);
});
