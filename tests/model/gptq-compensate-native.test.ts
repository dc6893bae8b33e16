/**
 * The compensation driver with the blocked trailing update (native/addon/src/gptq/compensate.cpp)
 * against the driver it replaced (native/tests/gptq-compensate-reference.h):
 * native/tests/test-gptq-compensate.cpp, compiled with the addon's flags against the extended
 * build's ggml, compensates the same random weights both ways (Q3_K, and a toy grid whose
 * trailing widths are not a multiple of the 8-wide strips) on one and two threads and requires
 * identical bytes, rounded values and updated weights.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { extendedBuildRequired, findExtendedBuild } from "../helpers/extendedBuild.js";
import { makeTempDir } from "../helpers/tempDir.js";

const build = findExtendedBuild();
const temp = makeTempDir("lowbit-gptq-compensate-");
afterAll(() => temp.cleanup());

const gptq = path.resolve("native", "addon", "src", "gptq");

describe("GPTQ compensation (C++)", () => {
  it("the extended build is there when CI runs", () => {
    if (extendedBuildRequired) {
      expect(
        build,
        "native/patches/extended-build.mjs did not build the extended runtime",
      ).not.toBeNull();
    }
  });

  it.skipIf(build === null)(
    "the blocked update gives exactly the previous result",
    () => {
      const exe = path.join(temp.dir, "test-gptq-compensate");
      const cxx = spawnSync(
        "c++",
        [
          // The addon's flags (binding.gyp): what ships is what is tested.
          "-O2",
          "-std=c++17",
          `-I${path.join(build!.source, "ggml", "include")}`,
          `-I${gptq}`,
          path.resolve("native", "tests", "test-gptq-compensate.cpp"),
          ...["compensate.cpp", "inverseFactor.cpp", "kquantGrids.cpp"].map((f) =>
            path.join(gptq, f),
          ),
          `-L${build!.libDir}`,
          "-lggml-base",
          `-Wl,-rpath,${build!.libDir}`,
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
      expect(Number(m![1])).toBe(18);
      expect(run.stdout).toContain("Q3_K 77x1024 (2 threads): rows=77 d=1024 identical=1");
      expect(run.stdout).toContain(
        "toy 12-column grid 45x300 (2 threads): rows=45 d=300 identical=1",
      );
      expect(run.status).toBe(0);
    },
    120_000,
  );
});
