/**
 * Download speed: Lowbit's whole path (queue, Range/ETag transfer, sha256 while writing, GGUF
 * check, registration) against curl fetching the same file from the same server in the same run,
 * alone and followed by `sha256sum` (what verifying costs when the hash needs a second read).
 * Also Lowbit through a connection that drops every 64 MiB, resuming each time.
 *
 *   npx tsx bench/downloads.ts [--runs 3]
 *
 * There is no llama.cpp tool to referee a network transfer (its downloader is a curl wrapper in
 * llama-cli), so curl itself is the referee. The model is a random-weight llama GGUF of about
 * 450 MiB, written once to /tmp/lowbit-bench-downloads.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { writeTinyModel } from "../src-main/services/gguf/index.js";
import { openLowbit } from "../src-main/services/lowbit.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
const runs = Number(values.runs);
const dir = "/tmp/lowbit-bench-downloads";
const model = path.join(dir, "model.gguf");
mkdirSync(dir, { recursive: true });
if (!existsSync(model)) {
  process.stderr.write("writing a ~450 MiB random-weight model (once) …\n");
  await writeTinyModel({ path: model, embd: 4096, layers: 1, ff: 4096, vocab: 16_000, seed: 5 });
}
const size = statSync(model).size;
const sha = await new Promise<string>((resolve, reject) => {
  const hash = createHash("sha256");
  createReadStream(model)
    .on("data", (chunk) => hash.update(chunk))
    .on("end", () => resolve(hash.digest("hex")))
    .on("error", reject);
});

const server = spawn(
  process.execPath,
  ["--import", "tsx", "bench/download-server.ts", model, String(64 * 2 ** 20)],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const base = await new Promise<string>((resolve) =>
  createInterface({ input: server.stdout! }).once("line", resolve),
);

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function lowbit(file: string): Promise<number> {
  const home = path.join(dir, "home");
  rmSync(home, { recursive: true, force: true });
  const app = await openLowbit({
    home,
    shell: "test",
    registerStarterModel: false,
    downloads: {
      retry: { baseDelayMs: 50, maxDelayMs: 200, maxFailures: 8, stallTimeoutMs: 30_000 },
    },
  });
  try {
    const start = process.hrtime.bigint();
    const added = await app.downloads.add({ source: `${base}/files/${file}`, sha256: sha });
    await app.downloads.waitFor(added.id);
    return seconds(start);
  } finally {
    app.close();
    rmSync(home, { recursive: true, force: true });
  }
}

function curl(withHash: boolean): number {
  const out = path.join(dir, "curl.gguf");
  rmSync(out, { force: true });
  const start = process.hrtime.bigint();
  execFileSync("curl", ["-sS", "--fail", "-o", out, `${base}/files/model.gguf`]);
  if (withHash) {
    const printed = execFileSync("sha256sum", [out], { encoding: "utf8" });
    if (!printed.startsWith(sha)) {
      throw new Error("curl's copy does not match");
    }
  }
  const elapsed = seconds(start);
  rmSync(out, { force: true });
  return elapsed;
}

const results = {
  lowbit: [] as number[],
  curl: [] as number[],
  curlHash: [] as number[],
  drops: [] as number[],
};
try {
  for (let run = 0; run < runs; run++) {
    // Interleaved, so drift on a shared machine hits every contestant alike.
    results.curl.push(curl(false));
    results.lowbit.push(await lowbit("model.gguf"));
    results.curlHash.push(curl(true));
    results.drops.push(await lowbit("dropping.gguf"));
  }
} finally {
  server.kill("SIGTERM");
}

const mib = size / 2 ** 20;
const best = (xs: number[]) => Math.min(...xs);
const row = (name: string, xs: number[]) =>
  `${name.padEnd(52)} ${median(xs).toFixed(2).padStart(6)} s  ${(mib / median(xs))
    .toFixed(0)
    .padStart(5)} MiB/s   (best ${best(xs).toFixed(2)} s)`;
const ratio = (a: number[], b: number[]) =>
  `${(median(a) / median(b)).toFixed(2)} (best ${(best(a) / best(b)).toFixed(2)})`;
process.stdout.write(
  [
    `${os.cpus().length} cores, ${mib.toFixed(0)} MiB file over 127.0.0.1, median of ${runs} runs`,
    row("curl (download only)", results.curl),
    row("curl + sha256sum (download, then verify)", results.curlHash),
    row("Lowbit (download, verify while writing, register)", results.lowbit),
    row("Lowbit, connection dropped every 64 MiB", results.drops),
    `ratio Lowbit / curl:                 ${ratio(results.lowbit, results.curl)}`,
    `ratio Lowbit / (curl + sha256sum):   ${ratio(results.lowbit, results.curlHash)}`,
    `ratio Lowbit with drops / Lowbit:    ${ratio(results.drops, results.lowbit)}`,
    "",
  ].join("\n"),
);
