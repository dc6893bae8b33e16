/**
 * Calibrated (GPTQ-style) rounding against llama.cpp on the starter model. Each file is made by
 * llama-quantize (built from the same patched source as the app's runtime, bench/ptqtp-tools.ts);
 * a "gptq" row is that same file with its layer weights rounded again in place by the addon's
 * gptq() on the calibration split. The referee is llama-perplexity on the held-out evaluation
 * split with KL divergence against the F16 model's logits, run the same way for every row.
 * Prints bpw, PPL, mean KLD, same top token, and each gptq row's KLD as a ratio of llama.cpp's
 * same level with an importance matrix (llama-imatrix on the same calibration text).
 *
 *   LOWBIT_PTQTP_BUILD=/tmp/lowbit-build npx tsx bench/gptq-quality.ts \
 *     [--threads 2] [--dir /tmp/gptq-quality] [--eval-chunks 32] [--calib-chunks 64] \
 *     [--levels PTQTP1,Q3_K_S,Q2_K]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadAddon } from "../src-main/services/native/loadAddon.js";
import { ptqtpTool, quantizeWith } from "./ptqtp-tools.js";

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "2" },
    dir: { type: "string", default: "/tmp/gptq-quality" },
    "eval-chunks": { type: "string", default: "32" },
    "calib-chunks": { type: "string", default: "64" },
    levels: { type: "string", default: "PTQTP1,Q3_K_S,Q2_K" },
    damping: { type: "string", default: "0.01" },
  },
});
const threads = values.threads;
const dir = values.dir;
mkdirSync(dir, { recursive: true });
const model = path.resolve("resources/models/lowbit-starter-18m.gguf");
const evalText = path.resolve("resources/data/brown/eval.txt");
const calibText = path.resolve("resources/data/brown/calib.txt");
process.env.LOWBIT_ALLOW_ADDON_IN_PROCESS = "1";
const addon = loadAddon();

function run(tool: Parameters<typeof ptqtpTool>[0], args: string[]): string {
  const r = spawnSync(ptqtpTool(tool), args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const log = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) {
    throw new Error(`${tool} ${args.join(" ")} failed: ${log.slice(-1500)}`);
  }
  return log;
}

const perplexityArgs = (m: string) => [
  ...["-m", m, "-f", evalText, "-c", "512", "-b", "512", "-t", threads],
  ...["--chunks", values["eval-chunks"]],
];
const base = path.join(dir, `f16-${values["eval-chunks"]}.kld`);
if (!existsSync(base)) {
  console.error("F16 logits …");
  run("llama-perplexity", [...perplexityArgs(model), "--kl-divergence-base", base]);
}
const imatrix = path.join(dir, `imatrix-${values["calib-chunks"]}.gguf`);
// PTQTP rows use no importance matrix: compute one only when another level needs it.
if (!existsSync(imatrix) && values.levels.split(",").some((l) => !l.startsWith("PTQTP"))) {
  console.error("importance matrix …");
  run("llama-imatrix", [
    ...["-m", model, "-f", calibText, "-c", "512", "-b", "512", "-t", threads],
    ...["--chunks", values["calib-chunks"], "-o", imatrix],
  ]);
}

interface Row {
  level: string;
  variant: string;
  bpw: number;
  ppl: number;
  kld: number;
  top: string;
  seconds?: number;
}

function measure(file: string): { ppl: number; kld: number; top: string } {
  const log = run("llama-perplexity", [
    ...perplexityArgs(file),
    ...["--kl-divergence-base", base, "--kl-divergence"],
  ]);
  return {
    ppl: Number(/Mean PPL\(Q\)\s*:\s*([\d.]+)/.exec(log)?.[1]),
    kld: Number(/Mean\s+KLD:\s*([\d.]+)/.exec(log)?.[1]),
    top: /Same top p:\s*([\d.]+)/.exec(log)?.[1] ?? "?",
  };
}

const rows: Row[] = [];
for (const level of values.levels.split(",")) {
  // PTQTP's plain stop has no importance matrix (weighting its fit measured no gain).
  const ptqtp = level.startsWith("PTQTP");
  const variants = ptqtp
    ? [
        { variant: "llama.cpp", imatrix: false, gptq: false },
        { variant: "gptq", imatrix: false, gptq: true },
      ]
    : [
        { variant: "llama.cpp + imatrix", imatrix: true, gptq: false },
        { variant: "gptq (+ imatrix mix)", imatrix: true, gptq: true },
      ];
  for (const v of variants) {
    const out = path.join(dir, `starter-${level}-${v.gptq ? "gptq" : "plain"}.gguf`);
    const q = quantizeWith(model, out, level, {
      threads: Number(threads),
      ...(v.imatrix ? { imatrix } : {}),
    });
    const bpw = Number(/quant size\s*=\s*[\d.]+ MiB \(([\d.]+) BPW\)/.exec(q.log)?.[1]);
    let seconds: number | undefined;
    if (v.gptq) {
      const started = performance.now();
      const r = await addon.gptq({
        modelPath: model,
        targetPath: out,
        textPath: calibText,
        chunkSize: 512,
        maxChunks: Number(values["calib-chunks"]),
        damping: Number(values.damping),
        threads: Number(threads),
      }).promise;
      seconds = (performance.now() - started) / 1000;
      console.error(
        `${level} gptq: ${r.compensated} matrices, ${r.tokens} tokens, calibration ` +
          `${r.calibrationSeconds.toFixed(1)} s, compensation ${r.compensationSeconds.toFixed(1)} s`,
      );
    }
    const m = measure(out);
    rows.push({
      level,
      variant: v.variant,
      bpw,
      ...m,
      ...(seconds === undefined ? {} : { seconds }),
    });
    console.error(`${level} ${v.variant}: KLD ${m.kld}`);
  }
}

console.log(
  `\nstarter model, ${values["eval-chunks"]} × 512 tokens of the evaluation split; ` +
    `calibration ${values["calib-chunks"]} × 512 tokens of the calibration split\n`,
);
console.log("| Level | Rounding | bpw | PPL | mean KLD | same top token | KLD ratio | gptq time |");
console.log("|---|---|---|---|---|---|---|---|");
for (const row of rows) {
  const referee = rows.find(
    (r) => r.level === row.level && r !== row && !r.variant.startsWith("gptq"),
  );
  const ratio =
    row.variant.startsWith("gptq") && referee !== undefined
      ? `${(row.kld / referee.kld).toFixed(3)}×`
      : "";
  console.log(
    `| ${row.level} | ${row.variant} | ${row.bpw.toFixed(3)} | ${row.ppl.toFixed(3)} | ` +
      `${row.kld.toFixed(4)} | ${row.top} % | ${ratio} | ` +
      `${row.seconds === undefined ? "" : `${row.seconds.toFixed(0)} s`} |`,
  );
}
// The issue's goal for PTQTP: calibrated PTQTP against llama.cpp's Q3_K_S with an importance matrix.
const q3 = rows.find((r) => r.level === "Q3_K_S" && !r.variant.startsWith("gptq"));
for (const row of rows.filter((r) => r.level.startsWith("PTQTP") && r.variant === "gptq")) {
  if (q3 !== undefined) {
    console.log(
      `\n${row.level} gptq vs llama.cpp Q3_K_S + imatrix: KLD ${(row.kld / q3.kld).toFixed(3)}× at ` +
        `${row.bpw.toFixed(3)} vs ${q3.bpw.toFixed(3)} bpw`,
    );
  }
}
