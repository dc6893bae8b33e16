/**
 * Time to apply a KV change to a 2k-token conversation: the context is rebuilt with the new
 * types and the conversation read back from SQLite (plus the quality probe), through the same
 * service the KV panel calls. The referee is llama.cpp's prompt processing of as many tokens
 * with the new types (llama-bench -p N -n 0, same batch, threads and flash attention), measured
 * in this run: re-ingesting can be no faster than that.
 *
 *   npx tsx bench/kv-apply.ts [--tokens 2000] [--reps 3]
 */
import { parseArgs } from "node:util";
import type { KvSettings, Model } from "../src-main/contract/index.js";
import { llamaBench, machine, median } from "./decode-referee.js";
import {
  fmt,
  kvPair,
  openBench,
  starterWithContext,
  tinyWithContext,
  writeConversation,
  type Bench,
} from "./kv-harness.js";

const { values } = parseArgs({
  options: { tokens: { type: "string", default: "2000" }, reps: { type: "string", default: "3" } },
});
const target = Number(values.tokens);
const reps = Number(values.reps);
const CTX = 4096;
const steps: Array<[KvSettings["k"], KvSettings["v"]]> = [
  ["q8_0", "q8_0"],
  ["q4_0", "q4_0"],
  ["q8_0", "q4_0"],
  ["f16", "f16"],
];

async function measure(bench: Bench, model: Model) {
  const settings = (kv: KvSettings) => ({
    ...bench.app.settings.get(),
    "runtime.contextSize": CTX,
    "runtime.threads": 1,
    "runtime.kv": kv,
  });
  bench.app.settings.set({ "runtime.contextSize": CTX, "runtime.threads": 1 });
  await bench.app.runtime.load(bench.app.library.loadRequest(model, settings(kvPair("f16"))));
  // Size the conversation to about `target` tokens of this model's tokenizer.
  let words = Math.round(target * 0.7);
  let conversationId = writeConversation(bench, words);
  const apply = (kv: KvSettings) => bench.app.kv.apply({ conversationId, kv, contextSize: CTX });
  let tokens = (await apply(kvPair("f16"))).conversation!.tokens;
  for (let round = 0; round < 3 && Math.abs(tokens - target) > target * 0.03; round++) {
    words = Math.round((words * target) / tokens);
    conversationId = writeConversation(bench, words);
    tokens = (await apply(kvPair("f16"))).conversation!.tokens;
  }

  const rows: Array<{
    from: string;
    to: string;
    seconds: number[];
    ingest: number[];
    kl: number[];
    agree: number[];
  }> = [];
  let from = "f16/f16";
  for (const [k, v] of steps) {
    const row = {
      from,
      to: `${k}/${v}`,
      seconds: [] as number[],
      ingest: [] as number[],
      kl: [] as number[],
      agree: [] as number[],
    };
    for (let rep = 0; rep < reps; rep++) {
      // Start each repetition from the step's source types, with the conversation in the cache.
      const [fk, fv] = from.split("/") as [KvSettings["k"], KvSettings["v"]];
      if (rep > 0) {
        await apply(kvPair(fk, fv));
      }
      const result = await apply(kvPair(k, v));
      row.seconds.push(result.seconds);
      row.ingest.push(result.ingestSeconds);
      row.kl.push(result.probe?.meanKl ?? Number.NaN);
      row.agree.push(result.probe?.topAgreement ?? Number.NaN);
    }
    rows.push(row);
    from = `${k}/${v}`;
  }
  const pairs = steps.map(([k, v]) => [k, v] as const);
  const args = [
    "-p",
    String(tokens),
    "-n",
    "0",
    "-b",
    "512",
    "-ub",
    "512",
    "-t",
    "1",
    "-r",
    String(reps),
  ];
  const prebuilt = llamaBench("prebuilt", model.path, pairs, args);
  const native = llamaBench("native", model.path, pairs, args);
  console.log(
    `## ${model.name}: ${tokens}-token conversation, context ${CTX}, 1 thread, flash attention on`,
  );
  console.log("");
  console.log(
    "| change | apply (s) | of which re-ingest (s) | llama.cpp prefill, prebuilt libs (s) | apply ÷ it | native build (s) | probe mean KL | top-1 agreement |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  rows.forEach((row, i) => {
    const seconds = median(row.seconds);
    const pre = tokens / prebuilt[i]!.tps;
    const nat = tokens / native[i]!.tps;
    console.log(
      `| ${row.from} → ${row.to} | ${fmt(seconds, 2)} | ${fmt(median(row.ingest), 2)} | ${fmt(pre, 2)} | ` +
        `${fmt(seconds / pre, 2)} | ${fmt(nat, 2)} | ${median(row.kl).toExponential(2)} | ${fmt(median(row.agree), 3)} |`,
    );
  });
  console.log("");
}

console.log(`# Time to apply a KV change (${machine()}; median of ${reps})`);
console.log("");
for (const make of [starterWithContext, tinyWithContext]) {
  const bench = await openBench();
  try {
    await measure(bench, await make(bench, CTX));
  } finally {
    bench.close();
  }
}
