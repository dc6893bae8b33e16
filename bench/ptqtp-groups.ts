/**
 * What PTQTP's group size costs and buys, on the starter model: every linear weight fitted with
 * groups of 64, 128 (shipped) and 256 by native/tests/ptqtp-groups.c and reconstructed to F16,
 * then llama-perplexity's KL divergence against the F16 model on the held-out split. bpw is
 * exact arithmetic for each packing (planes 3.25 bpw base-3 or 4 bpw 2-bit, plus 2 fp16 scales
 * per group). No importance matrix (the solver's weighting is off here).
 *
 *   npx tsx bench/ptqtp-groups.ts [--threads 2] [--dir /tmp/ptqtp-quality]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { PTQTP_BUILD, PTQTP_SOURCE, ptqtpTool } from "./ptqtp-tools.js";

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "2" },
    dir: { type: "string", default: "/tmp/ptqtp-quality" },
  },
});
const dir = values.dir;
mkdirSync(dir, { recursive: true });
const model = "resources/models/lowbit-starter-18m.gguf";
const evalText = "resources/data/brown/eval.txt";
const libDir = path.join(PTQTP_BUILD, "bin");

function check(r: ReturnType<typeof spawnSync>, what: string): string {
  const log = `${String(r.stdout)}${String(r.stderr)}`;
  if (r.status !== 0) {
    throw new Error(`${what} failed: ${log.slice(-1500)}`);
  }
  return log;
}

ptqtpTool("llama-perplexity");
const tool = path.join(dir, "ptqtp-groups");
check(
  spawnSync("cc", [
    ...["-O2", "-std=c11", "-march=native"],
    `-I${path.join(PTQTP_SOURCE, "ggml", "include")}`,
    `-I${path.join(PTQTP_SOURCE, "ggml", "src")}`,
    "-Inative/ggml-ext",
    "native/tests/ptqtp-groups.c",
    ...[`-L${libDir}`, "-lggml-base", "-lggml", `-Wl,-rpath,${libDir}`, "-lm", "-o", tool],
  ]),
  "compiling ptqtp-groups.c",
);

const base = path.join(dir, "f16.kld");
if (!existsSync(base)) {
  check(
    spawnSync(ptqtpTool("llama-perplexity"), [
      ...["-m", model, "-f", evalText, "-c", "512", "-b", "512", "-t", values.threads],
      ...["--kl-divergence-base", base],
    ]),
    "F16 logits",
  );
}

console.log(
  "\n| Group | weight error | PTQTP1 bpw | PTQTP2 bpw | PPL | mean KLD | same top token |",
);
console.log("|---|---|---|---|---|---|---|");
for (const group of [64, 128, 256]) {
  const out = path.join(dir, `starter-ptqtp-g${group}-f16.gguf`);
  const fit = check(spawnSync(tool, [model, out, String(group)], { encoding: "utf8" }), "fit");
  const error = /relative error ([\d.]+)/.exec(fit)?.[1] ?? "?";
  const log = check(
    spawnSync(
      ptqtpTool("llama-perplexity"),
      [
        ...["-m", out, "-f", evalText, "-c", "512", "-b", "512", "-t", values.threads],
        ...["--kl-divergence-base", base, "--kl-divergence"],
      ],
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    ),
    `perplexity at group ${group}`,
  );
  const ppl = /Mean PPL\(Q\)\s*:\s*([\d.]+)/.exec(log)?.[1] ?? "?";
  const kld = /Mean\s+KLD:\s*([\d.]+)/.exec(log)?.[1] ?? "?";
  const top = /Same top p:\s*([\d.]+)/.exec(log)?.[1] ?? "?";
  const scales = 32 / group;
  console.log(
    `| ${group} | ${error} | ${(3.25 + scales).toFixed(3)} | ${(4 + scales).toFixed(3)} | ${ppl} | ${kld} | ${top} % |`,
  );
}
