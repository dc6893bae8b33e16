/**
 * Decode speed per KV-cache type, in the app (the model worker process, our generation loop,
 * streaming over IPC) against llama.cpp's llama-bench on the same model, cache types, flash
 * attention and threads, measured in this one run. Both generate 128 tokens after (next to) no
 * prompt; repetitions are interleaved so a busy machine slows all columns alike.
 *
 *   npx tsx bench/decode.ts [--types f16,q8_0,q4_0] [--reps 5]
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import type { KvCacheType } from "../src-main/contract/index.js";
import { llamaBench, machine, median, type BenchRow } from "./decode-referee.js";
import { fmt, kvPair, midModel, openBench, starterWithContext } from "./kv-harness.js";

const { values } = parseArgs({
  options: {
    types: { type: "string", default: "f16,q8_0,q4_0" },
    reps: { type: "string", default: "5" },
    model: { type: "string", default: "starter" },
  },
});
const types = values.types.split(",") as KvCacheType[];
const reps = Number(values.reps);
const N_GEN = 128;

const bench = await openBench();
try {
  const model =
    values.model === "mid" ? await midModel(bench) : await starterWithContext(bench, 512);
  const inApp = new Map<KvCacheType, number[]>(types.map((t) => [t, []]));
  const native = new Map<KvCacheType, number[]>(types.map((t) => [t, []]));
  const prebuilt = new Map<KvCacheType, number[]>(types.map((t) => [t, []]));
  const bare = new Map<KvCacheType, number[]>(types.map((t) => [t, []]));
  const bareRun = (type: KvCacheType): number => {
    const run = spawnSync("npx", ["tsx", "bench/decode-bare.ts", model.path, type, String(N_GEN)], {
      encoding: "utf8",
    });
    const line = run.stdout.split("\n").find((l) => l.startsWith("{"));
    if (line === undefined) {
      throw new Error(`decode-bare failed: ${run.stderr.slice(-500)}`);
    }
    return (JSON.parse(line) as { tps: number }).tps;
  };
  const referee = (which: "native" | "prebuilt", type: KvCacheType): BenchRow =>
    llamaBench(
      which,
      model.path,
      [[type, type]],
      ["-p", "0", "-n", String(N_GEN), "-t", "1", "-r", "1"],
    )[0]!;

  for (let rep = 0; rep < reps; rep++) {
    for (const type of types) {
      const request = bench.app.library.loadRequest(model, {
        ...bench.app.settings.get(),
        "runtime.contextSize": 512,
        "runtime.threads": 1,
        "runtime.kv": kvPair(type),
      });
      if (!bench.app.runtime.isLoaded(request)) {
        await bench.app.runtime.load(request);
      }
      const result = await bench.app.runtime.generate(
        {
          input: { kind: "text", prompt: "The" },
          sampling: {
            maxTokens: N_GEN,
            temperature: 0,
            topP: 1,
            topK: 0,
            minP: 0,
            repeatPenalty: 1,
            seed: 1,
          },
        },
        { onText: () => {} },
      );
      if (result.tokens < N_GEN) {
        throw new Error(`the model stopped after ${result.tokens} tokens (${result.stopReason})`);
      }
      inApp.get(type)!.push(result.decodeTps);
      prebuilt.get(type)!.push(referee("prebuilt", type).tps);
      native.get(type)!.push(referee("native", type).tps);
      bare.get(type)!.push(bareRun(type));
    }
  }

  console.log(`# Decode tokens/s per KV type, ${model.name}, 1 thread, flash attention on`);
  console.log(`${machine()}; median of ${reps} interleaved runs of ${N_GEN} tokens`);
  console.log("");
  console.log(
    "| K/V | in-app tok/s | vs f16 | bare node-llama-cpp loop | llama-bench, prebuilt libs | in-app ÷ it | llama-bench, native build | in-app ÷ it |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  const f16 = median(inApp.get(types[0]!)!);
  for (const type of types) {
    const app = median(inApp.get(type)!);
    const pre = median(prebuilt.get(type)!);
    const nat = median(native.get(type)!);
    const floor = median(bare.get(type)!);
    console.log(
      `| ${type}/${type} | ${fmt(app)} | ${fmt(app / f16, 3)} | ${fmt(floor)} | ${fmt(pre)} | ${fmt(app / pre, 3)} | ` +
        `${fmt(nat)} | ${fmt(app / nat, 3)} |`,
    );
  }
  console.log("");
  console.log(
    "Samples (in-app / bare / prebuilt / native): " +
      types
        .map((t) =>
          [inApp, bare, prebuilt, native]
            .map((m) =>
              m
                .get(t)!
                .map((x) => x.toFixed(0))
                .join(","),
            )
            .join(" / "),
        )
        .map((s, i) => `${types[i]}: ${s}`)
        .join("; "),
  );
} finally {
  bench.close();
}
