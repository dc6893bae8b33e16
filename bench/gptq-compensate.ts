/**
 * What the GPTQ compensation (native/addon/src/gptq/compensate.cpp) costs against the driver it
 * replaced (native/tests/gptq-compensate-reference.h), in the same run, on Q3_K: the shapes of a
 * ~1 B model's matrices (rows × input columns). native/tests/test-gptq-compensate.cpp --speed,
 * compiled with the addon's flags against the extended build's ggml, prints the wall seconds of
 * both, new/old, and whether the bytes are identical.
 *
 *   npx tsx bench/gptq-compensate.ts [--threads 2] [--shapes 2048x2048,5632x2048,2048x5632]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { findExtendedBuild } from "../tests/helpers/extendedBuild.js";

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "2" },
    shapes: { type: "string", default: "2048x2048,5632x2048,2048x5632" },
  },
});
const build = findExtendedBuild();
if (build === null) {
  throw new Error("no extended build: run node native/patches/extended-build.mjs first");
}
const gptq = path.join("native", "addon", "src", "gptq");
const exe = path.join(mkdtempSync(path.join(os.tmpdir(), "gptq-compensate-")), "compensate");
const cxx = spawnSync(
  "c++",
  [
    ...["-O2", "-std=c++17", `-I${path.join(build.source, "ggml", "include")}`, `-I${gptq}`],
    "native/tests/test-gptq-compensate.cpp",
    ...["compensate.cpp", "inverseFactor.cpp", "kquantGrids.cpp"].map((f) => path.join(gptq, f)),
    ...[`-L${build.libDir}`, "-lggml-base", `-Wl,-rpath,${build.libDir}`, "-pthread"],
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
    .join(" ")}; ${values.threads} threads\n`,
);
for (const shape of values.shapes.split(",")) {
  const [rows, cols] = shape.split("x");
  const run = spawnSync(exe, ["--speed", rows!, cols!, values.threads], {
    encoding: "utf8",
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (run.status !== 0) {
    process.exit(run.status ?? 1);
  }
}
