/**
 * Time to apply a KV change to a 2k-token conversation, through the same service the KV panel
 * calls, both ways in one run: the conversation's cache converted to the new types (the default)
 * and, in a second app whose model process has LOWBIT_KV_CONVERT=off, the context rebuilt and
 * the conversation read back from SQLite. Both include the quality probe. The referee is
 * llama.cpp's prompt processing of as many tokens with the new types (llama-bench -p N -n 0,
 * same batch, threads and flash attention), measured in this run: re-reading can be no faster
 * than that, and converting has to beat it.
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

type Mode = "converted" | "reread";

interface Row {
  from: string;
  to: string;
  seconds: number[];
  ingest: number[];
  kl: number[];
  agree: number[];
  methods: Set<string>;
}

/** Applies each step `reps` times in one app, from the step's source types each time. */
async function applySteps(bench: Bench, model: Model): Promise<{ tokens: number; rows: Row[] }> {
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

  const rows: Row[] = [];
  let from = "f16/f16";
  for (const [k, v] of steps) {
    const row: Row = {
      from,
      to: `${k}/${v}`,
      seconds: [],
      ingest: [],
      kl: [],
      agree: [],
      methods: new Set(),
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
      row.methods.add(result.method ?? "none");
      if (result.methodReason !== null && result.method === "reread") {
        row.methods.add(`(${result.methodReason})`);
      }
    }
    rows.push(row);
    from = `${k}/${v}`;
  }
  return { tokens, rows };
}

async function measure(make: (bench: Bench, ctx: number) => Promise<Model>) {
  const runs = {} as Record<Mode, { tokens: number; rows: Row[] }>;
  let model: Model | null = null;
  let prebuilt: ReturnType<typeof llamaBench> = [];
  let native: ReturnType<typeof llamaBench> = [];
  for (const mode of ["converted", "reread"] as const) {
    // The model process reads LOWBIT_KV_CONVERT; it is forked with this process's environment.
    if (mode === "reread") {
      process.env.LOWBIT_KV_CONVERT = "off";
    }
    const bench = await openBench();
    try {
      model = await make(bench, CTX);
      runs[mode] = await applySteps(bench, model);
      if (mode === "reread") {
        // The referee, while the model file (in the bench's home) still exists.
        await bench.app.runtime.unload();
        const args = ["-p", String(runs.converted.tokens), "-n", "0", "-b", "512", "-ub", "512"];
        const all = [...args, "-t", "1", "-r", String(reps)];
        const pairs = steps.map(([k, v]) => [k, v] as const);
        prebuilt = llamaBench("prebuilt", model.path, pairs, all);
        native = llamaBench("native", model.path, pairs, all);
      }
    } finally {
      bench.close();
      delete process.env.LOWBIT_KV_CONVERT;
    }
  }
  const tokens = runs.converted.tokens;
  console.log(
    `## ${model!.name}: ${tokens}-token conversation (re-read run: ${runs.reread.tokens}), ` +
      `context ${CTX}, 1 thread, flash attention on`,
  );
  console.log("");
  console.log(
    "| change | converted apply (s) | of which converting (s) | re-read apply (s) | of which re-reading (s) | llama.cpp prefill, prebuilt libs (s) | converted ÷ prefill | re-read ÷ prefill | native build (s) | probe mean KL, converted / re-read | same top token, converted / re-read | methods |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
  runs.converted.rows.forEach((row, i) => {
    const reread = runs.reread.rows[i]!;
    const conv = median(row.seconds);
    const again = median(reread.seconds);
    const pre = tokens / prebuilt[i]!.tps;
    const nat = tokens / native[i]!.tps;
    console.log(
      `| ${row.from} → ${row.to} | ${fmt(conv, 2)} | ${fmt(median(row.ingest), 2)} | ` +
        `${fmt(again, 2)} | ${fmt(median(reread.ingest), 2)} | ${fmt(pre, 2)} | ` +
        `${fmt(conv / pre, 2)} | ${fmt(again / pre, 2)} | ${fmt(nat, 2)} | ` +
        `${median(row.kl).toExponential(1)} / ${median(reread.kl).toExponential(1)} | ` +
        `${fmt(median(row.agree) * 100, 0)} % / ${fmt(median(reread.agree) * 100, 0)} % | ` +
        `${[...row.methods].join(" ")} / ${[...reread.methods].join(" ")} |`,
    );
  });
  console.log("");
}

console.log(`# Time to apply a KV change (${machine()}; median of ${reps})`);
console.log("");
for (const make of [starterWithContext, tinyWithContext]) {
  await measure(make);
}
