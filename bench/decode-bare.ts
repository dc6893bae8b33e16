/**
 * node-llama-cpp on its own: the same model, cache type, flash attention and thread, a bare
 * `sequence.evaluate` loop that samples greedily and does nothing else. The floor under the
 * app's decode speed; run by decode.ts in a child process (never `node -e`: node-llama-cpp's
 * binary check forks with the parent's flags).
 *
 *   npx tsx bench/decode-bare.ts MODEL TYPE N_GEN
 */
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { nlcTypeName } from "../src-main/services/runtime/kvTypes.js";
import type { KvCacheType } from "../src-main/contract/index.js";

const [modelPath, type, nGen] = process.argv.slice(2) as [string, KvCacheType, string];
const llama = await getLlama({ build: "never", gpu: false, logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({
  contextSize: 512,
  threads: 1,
  flashAttention: true,
  experimentalKvCacheKeyType: nlcTypeName(type),
  experimentalKvCacheValueType: nlcTypeName(type),
  // As the app does (liveContext.ts): one sequence, dispatch each batch at once.
  batching: { dispatchSchedule: (dispatch) => dispatch() },
});
const sequence = context.getSequence();
const prompt = [model.tokens.bos!, ...model.tokenize("The")];
const n = Number(nGen);
let count = 0;
let first = 0;
for await (const token of sequence.evaluate(prompt, {
  temperature: 0,
  topK: 0,
  topP: 1,
  minP: 0,
})) {
  void token;
  if (count === 0) {
    first = performance.now();
  }
  if (++count >= n) {
    break;
  }
}
const tps = (n - 1) / ((performance.now() - first) / 1000);
process.stdout.write(`${JSON.stringify({ tps })}\n`);
await context.dispose();
await model.dispose();
