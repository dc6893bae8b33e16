/**
 * Compare llama.cpp (through node-llama-cpp) with the PyTorch reference on the starter model:
 *  - next-token log-probabilities on the reference sequences (reference-logits.json)
 *  - tokenization of eval documents against the TypeScript encoder
 *
 *   npx tsx tools/starter-model/verify-llama.ts [model.gguf] [reference-logits.json]
 *
 * The functions are shared with tests/model/starter-model.test.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

import type { LlamaModel } from "node-llama-cpp";

import { BpeTokenizer } from "./tokenizer/bpe.js";
import { REPO_ROOT } from "./prepare-data.js";

export const STARTER_DIR = join(REPO_ROOT, "tools", "starter-model");
export const REFERENCE_LOGITS_PATH = join(STARTER_DIR, "reference-logits.json");
export const STARTER_MODEL_INFO_PATH = join(STARTER_DIR, "model.json"); // see index.ts

export interface ReferenceRow {
  pos: number;
  top: number[];
  logprob: number[];
  next?: number;
  nextLogprob?: number;
}
export interface ReferenceFixture {
  topK: number;
  sequences: { name: string; tokens: number[]; rows: ReferenceRow[] }[];
}

export interface LogprobComparison {
  rows: number;
  /** max |logprob_llama − logprob_ref| over the reference top-K tokens of every row */
  maxAbsDiff: number;
  meanAbsDiff: number;
  /** fraction of rows where llama.cpp's most likely token equals the reference's */
  top1Agreement: number;
}

export function loadReference(path: string = REFERENCE_LOGITS_PATH): ReferenceFixture {
  return JSON.parse(readFileSync(path, "utf8")) as ReferenceFixture;
}

/**
 * Evaluate each reference sequence in a fresh context sequence and read llama.cpp's full
 * next-token distribution (temperature 1, no truncation) at the reference positions.
 */
export async function compareLogprobs(
  model: LlamaModel,
  ref: ReferenceFixture,
): Promise<LogprobComparison> {
  const maxLen = Math.max(...ref.sequences.map((s) => s.tokens.length));
  const context = await model.createContext({
    contextSize: 2 * Math.max(512, maxLen),
    batchSize: 512,
    threads: 1,
    sequences: ref.sequences.length,
  });
  let rows = 0;
  let maxAbs = 0;
  let sumAbs = 0;
  let nAbs = 0;
  let top1 = 0;
  try {
    for (const seq of ref.sequences) {
      const sequence = context.getSequence();
      try {
        const wanted = new Set(seq.rows.map((r) => r.pos));
        const input = seq.tokens.map((t, i) =>
          wanted.has(i)
            ? ([
                t,
                {
                  generateNext: {
                    probabilities: true,
                    options: { temperature: 1, topK: 0, topP: 1, minP: 0 },
                  },
                },
              ] as const)
            : t,
        );
        const out = await sequence.controlledEvaluate(input as never);
        for (const row of seq.rows) {
          const probs = out[row.pos]?.next?.probabilities;
          if (!probs) {
            throw new Error(`no probabilities at ${seq.name}[${row.pos}]`);
          }
          rows++;
          const best = probs.entries().next().value as [number, number] | undefined;
          if (best && best[0] === row.top[0]) {
            top1++;
          }
          row.top.forEach((tok, k) => {
            const p = probs.get(tok as never) ?? 0;
            const d = Math.abs(Math.log(Math.max(p, 1e-30)) - row.logprob[k]!);
            maxAbs = Math.max(maxAbs, d);
            sumAbs += d;
            nAbs++;
          });
        }
      } finally {
        sequence.dispose();
      }
    }
  } finally {
    await context.dispose();
  }
  return { rows, maxAbsDiff: maxAbs, meanAbsDiff: sumAbs / nAbs, top1Agreement: top1 / rows };
}

/** Compare model.tokenize with the TS encoder on the given texts; returns the first mismatch. */
export function compareTokenization(
  model: LlamaModel,
  texts: readonly string[],
  tok: BpeTokenizer = BpeTokenizer.load(),
): {
  texts: number;
  tokens: number;
  mismatch: null | { index: number; at: number; ours: number[]; llama: number[] };
} {
  let tokens = 0;
  for (let i = 0; i < texts.length; i++) {
    const ours = tok.encode(texts[i]!);
    const llama = Array.from(model.tokenize(texts[i]!, false), Number);
    tokens += ours.length;
    const n = Math.max(ours.length, llama.length);
    for (let j = 0; j < n; j++) {
      if (ours[j] !== llama[j]) {
        return {
          texts: i + 1,
          tokens,
          mismatch: {
            index: i,
            at: j,
            ours: ours.slice(Math.max(0, j - 3), j + 5),
            llama: llama.slice(Math.max(0, j - 3), j + 5),
          },
        };
      }
    }
  }
  return { texts: texts.length, tokens, mismatch: null };
}

async function main(argv: string[]): Promise<void> {
  const { getLlama } = await import("node-llama-cpp");
  const info = JSON.parse(readFileSync(STARTER_MODEL_INFO_PATH, "utf8")) as { file: string };
  const modelPath = argv[0] ?? join(REPO_ROOT, info.file);
  const ref = loadReference(argv[1]);
  const llama = await getLlama();
  const model = await llama.loadModel({ modelPath });
  const cmp = await compareLogprobs(model, ref);
  console.log("logprobs vs PyTorch:", cmp);
  const { brownSplitPaths } = await import("./prepare-data.js");
  const { splitDocuments } = await import("./tokenize-data.js");
  const docs = splitDocuments(readFileSync(brownSplitPaths().eval, "utf8"));
  console.log("tokenization vs TS encoder (all eval documents):", compareTokenization(model, docs));
  await model.dispose();
}

if (
  process.argv[1] !== undefined &&
  import.meta.url === new URL(`file://${process.argv[1]}`).href
) {
  await main(process.argv.slice(2));
}
