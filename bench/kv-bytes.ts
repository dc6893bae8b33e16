/**
 * KV-cache bytes per token for each cache type: Lowbit's exact figure (layers × KV heads × head
 * size × the type's bytes per element) against llama.cpp's own count, the growth of the
 * sequence's saved state per token, measured on the starter model in the same run.
 *
 *   npx tsx bench/kv-bytes.ts
 */
import { kvCacheTypes } from "../src-main/contract/index.js";
import {
  kvBytesPerToken,
  kvGeometryFromMetadata,
} from "../src-main/services/runtime/kvGeometry.js";
import { bitsPerElement } from "../src-main/services/runtime/kvTypes.js";
import { machine } from "./decode-referee.js";
import { brownText, fmt, kvPair, openBench, starterWithContext } from "./kv-harness.js";

/**
 * llama.cpp's saved state carries, per cached token, its position, sequence count and sequence
 * id (3 × 4 bytes, `llama_kv_cache::state_write_meta`) next to the K and V rows.
 */
const CELL_METADATA = 12;

const bench = await openBench();
try {
  const model = await starterWithContext(bench, 4096);
  const text = brownText().slice(0, 40_000);
  const fill = async (words: number) => {
    const prompt = text.split(/\s+/).slice(0, words).join(" ");
    await bench.app.runtime.generate(
      {
        input: { kind: "text", prompt },
        sampling: {
          maxTokens: 1,
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
    const memory = bench.app.runtime.memory.get()!;
    return {
      tokens: memory.kv.usedTokens,
      state: memory.kv.stateBytes,
      allocated: memory.kv.allocatedBytes,
    };
  };
  console.log(`# KV bytes per token, ${model.name} (${machine()})`);
  console.log("");
  console.log(
    "| K/V type | bits/element | Lowbit B/token | llama.cpp state B/token | state − 12 B cell metadata | Lowbit ÷ that | vs f16 | allocated at 4096 |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  let f16 = 0;
  for (const type of kvCacheTypes) {
    const request = bench.app.library.loadRequest(model, {
      ...bench.app.settings.get(),
      "runtime.contextSize": 4096,
      "runtime.kv": kvPair(type),
    });
    await bench.app.runtime.load(request);
    // Two fills: the slope of llama.cpp's state size is its bytes per cached token.
    const a = await fill(400);
    await bench.app.runtime.load(request);
    const b = await fill(1600);
    const measured = (b.state - a.state) / (b.tokens - a.tokens);
    const ours = bench.app.runtime.state.get().kv!.kvBytesPerToken;
    if (type === "f16") {
      f16 = ours;
    }
    console.log(
      `| ${type}/${type} | ${bitsPerElement(type)} | ${fmt(ours, 0)} | ${fmt(measured, 1)} | ` +
        `${fmt(measured - CELL_METADATA, 1)} | ${fmt(ours / (measured - CELL_METADATA), 4)} | ` +
        `${fmt(ours / f16, 4)} | ${fmt(b.allocated / 2 ** 20, 2)} MiB |`,
    );
  }
  console.log("");
  console.log("Other models (computed from their GGUF shapes; f16 / q8_0 / q4_0 bytes per token):");
  const shapes: Array<[string, Record<string, unknown>]> = [
    [
      "Qwen3-0.6B",
      {
        block_count: 28,
        embedding_length: 1024,
        attention: { head_count: 16, head_count_kv: 8, key_length: 128, value_length: 128 },
      },
    ],
    [
      "Llama-3.2-1B",
      { block_count: 16, embedding_length: 2048, attention: { head_count: 32, head_count_kv: 8 } },
    ],
    [
      "Llama-3.1-8B",
      { block_count: 32, embedding_length: 4096, attention: { head_count: 32, head_count_kv: 8 } },
    ],
    [
      "Mistral-7B",
      { block_count: 32, embedding_length: 4096, attention: { head_count: 32, head_count_kv: 8 } },
    ],
  ];
  for (const [name, arch] of shapes) {
    const g = kvGeometryFromMetadata(arch)!;
    const per = (["f16", "q8_0", "q4_0"] as const).map((t) => fmt(kvBytesPerToken(g, t, t), 0));
    const gib32k = (kvBytesPerToken(g, "f16", "f16") * 32_768) / 2 ** 30;
    console.log(`- ${name}: ${per.join(" / ")} (f16 at 32k context: ${fmt(gib32k, 2)} GiB)`);
  }
} finally {
  bench.close();
}
