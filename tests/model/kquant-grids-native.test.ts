/**
 * The k-quant grids the GPTQ-style driver rounds against (native/addon/src/gptq/kquantGrids.cpp),
 * checked by native/tests/test-kquant-grids.cpp against llama.cpp's own quantizer: compiled with
 * the addon's flags against the patched llama.cpp source, linked to the extended build's ggml,
 * then run.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { extendedBuildRequired, findExtendedBuild } from "../helpers/extendedBuild.js";
import { makeTempDir } from "../helpers/tempDir.js";

const build = findExtendedBuild();
const temp = makeTempDir("lowbit-kquant-grids-");
afterAll(() => temp.cleanup());

const gptq = path.resolve("native", "addon", "src", "gptq");
const types = ["Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_XS"];

describe("k-quant grids (C++)", () => {
  it("the extended build is there when CI runs", () => {
    if (extendedBuildRequired) {
      expect(
        build,
        "native/patches/extended-build.mjs did not build the extended runtime",
      ).not.toBeNull();
    }
  });

  it.skipIf(build === null)(
    "reproduce llama.cpp's bytes, dequantize to what round() returns, stay on the grid",
    () => {
      const exe = path.join(temp.dir, "test-kquant-grids");
      const cxx = spawnSync(
        "c++",
        [
          // The addon's flags (binding.gyp): what ships is what is tested.
          "-O2",
          "-std=c++17",
          `-I${path.join(build!.source, "ggml", "include")}`,
          `-I${gptq}`,
          path.resolve("native", "tests", "test-kquant-grids.cpp"),
          path.join(gptq, "kquantGrids.cpp"),
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
      expect(Number(m![2]), run.stdout.slice(-4000)).toBe(0);
      expect(Number(m![1])).toBeGreaterThan(10_000);
      for (const type of types) {
        expect(run.stdout).toContain(`${type}: 628 rows checked`);
      }
      expect(run.status).toBe(0);
    },
  );
});
