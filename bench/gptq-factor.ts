/**
 * What the GPTQ factorization (native/addon/src/gptq/inverseFactor.cpp: the upper Cholesky
 * factor of the damped inverse Gram matrix, once per distinct layer input) costs against the
 * algorithm it replaced (native/tests/gptq-factor-reference.h), in the same run:
 * native/tests/gptq-factor-speed.cpp, compiled with the addon's flags, factorizes the same SPD
 * matrix both ways at each size and prints the wall seconds, new/old and their difference.
 * The sizes are a ~1 B model's inputs (2048 wide, 5632 FFN).
 *
 *   npx tsx bench/gptq-factor.ts [--threads 2] [--sizes 2048,5632]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "2" },
    sizes: { type: "string", default: "2048,5632" },
  },
});
const gptq = path.join("native", "addon", "src", "gptq");
const exe = path.join(mkdtempSync(path.join(os.tmpdir(), "gptq-factor-")), "gptq-factor-speed");
const cxx = spawnSync(
  "c++",
  [
    ...["-O2", "-std=c++17", `-I${gptq}`, "-pthread"],
    ...["native/tests/gptq-factor-speed.cpp", path.join(gptq, "inverseFactor.cpp")],
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
const run = spawnSync(exe, [values.threads, ...values.sizes.split(",")], {
  encoding: "utf8",
  stdio: ["ignore", "inherit", "inherit"],
});
process.exit(run.status ?? 1);
