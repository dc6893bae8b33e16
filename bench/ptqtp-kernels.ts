/**
 * PTQTP kernel speed against llama.cpp's own kernels for Q4_K, Q3_K, TQ2_0 and TQ1_0 in the same
 * run: native/tests/ptqtp-kernels.c, compiled against the extended build's ggml (or the patched
 * out-of-tree build), streams a 2048 × 22528 weight matrix row by row through each type's CPU
 * vec_dot on one thread (best of --reps). Shows whether a type's dot product keeps up with the
 * memory (GB/s) or is bound by decoding (weights/ns).
 *
 *   npx tsx bench/ptqtp-kernels.ts [--reps 9]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { findExtendedBuild } from "../tests/helpers/extendedBuild.js";

const { values } = parseArgs({ options: { reps: { type: "string", default: "9" } } });
const build = findExtendedBuild();
if (build === null) {
  throw new Error("no extended build: run node native/patches/extended-build.mjs first");
}
const exe = path.join(mkdtempSync(path.join(os.tmpdir(), "ptqtp-kernels-")), "ptqtp-kernels");
const cc = spawnSync(
  "cc",
  [
    ...["-O2", "-march=native", "native/tests/ptqtp-kernels.c"],
    `-I${path.join(build.source, "ggml", "include")}`,
    ...[`-L${build.libDir}`, "-lggml-cpu", "-lggml-base", `-Wl,-rpath,${build.libDir}`],
    ...["-o", exe],
  ],
  { encoding: "utf8" },
);
if (cc.status !== 0) {
  throw new Error(cc.stderr);
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
