/**
 * What the k-quant grids (native/addon/src/gptq/kquantGrids.cpp) cost per block against
 * llama.cpp's own quantizer in the same run: native/tests/kquant-grids-speed.cpp, compiled with
 * the addon's flags against the extended build's ggml, quantizes 4096 blocks per type with and
 * without importance both ways on one thread (best of --reps) and checks the bytes are equal.
 *
 *   npx tsx bench/kquant-grids.ts [--reps 5]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { findExtendedBuild } from "../tests/helpers/extendedBuild.js";

const { values } = parseArgs({ options: { reps: { type: "string", default: "5" } } });
const build = findExtendedBuild();
if (build === null) {
  throw new Error("no extended build: run node native/patches/extended-build.mjs first");
}
const gptq = path.join("native", "addon", "src", "gptq");
const exe = path.join(mkdtempSync(path.join(os.tmpdir(), "kquant-grids-")), "kquant-grids-speed");
const cxx = spawnSync(
  "c++",
  [
    ...["-O2", "-std=c++17", `-I${path.join(build.source, "ggml", "include")}`, `-I${gptq}`],
    ...["native/tests/kquant-grids-speed.cpp", path.join(gptq, "kquantGrids.cpp")],
    ...[`-L${build.libDir}`, "-lggml-base", `-Wl,-rpath,${build.libDir}`],
    ...["-o", exe],
  ],
  { encoding: "utf8" },
);
if (cxx.status !== 0) {
  throw new Error(cxx.stderr);
}
console.log(
  `${os.cpus()[0]?.model ?? "cpu"}, load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}; one thread, best of ${values.reps}\n`,
);
const run = spawnSync(exe, [values.reps], {
  encoding: "utf8",
  stdio: ["ignore", "pipe", "inherit"],
});
process.stdout.write(run.stdout);
if (run.status !== 0) {
  process.exitCode = 1;
}
