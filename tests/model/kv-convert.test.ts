import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  getLlama,
  LlamaLogLevel,
  type Llama,
  type LlamaContextSequence,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  dequantizeRow,
  quantizeRow,
  rowSize,
  type RowType,
} from "../../src-main/services/runtime/ggmlRows.js";
import { hadamardInPlace, kvRotation } from "../../src-main/services/runtime/hadamard.js";
import {
  convertSeqState,
  parseSeqState,
  type KvHeads,
} from "../../src-main/services/runtime/kvStateFile.js";
import { starterModelPath } from "../../tools/starter-model/index.js";
import { tinyModelPath } from "../helpers/tinyModel.js";

/**
 * Converting a saved KV cache to other types, against llama.cpp itself on the starter model
 * (head size 64, so a quantized K and V are stored Hadamard-rotated): the converted rows equal
 * what llama.cpp writes for the same values, and a context that loads the converted cache
 * predicts what a context that re-read the conversation under the new types predicts.
 */
let dir = "";
let llama: Llama;
let model: LlamaModel;
let tokens: Token[];
const heads: KvHeads = { headDimK: 64, headDimV: 64, env: {} };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lowbit-kv-convert-"));
  llama = await getLlama({ build: "never", logLevel: LlamaLogLevel.error });
  model = await llama.loadModel({ modelPath: starterModelPath() });
  const text =
    "The old house on the hill was quiet. The farmer came home late in the evening, and " +
    "the dog barked at the moon while his wife set the table. They talked about the harvest, " +
    "the rain that had not come, and the price of wheat in the town by the river. After " +
    "supper the children read by the fire until the lamp burned low and it was time to sleep.";
  tokens = model.tokenize(text);
});

afterAll(async () => {
  await model?.dispose();
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

type Cache = { k: RowType; v: RowType; fa: boolean };

async function withSequence<T>(
  cache: Cache,
  run: (sequence: LlamaContextSequence) => Promise<T>,
  on: LlamaModel = model,
): Promise<T> {
  const context = await on.createContext({
    contextSize: 512,
    threads: 1,
    flashAttention: cache.fa,
    experimentalKvCacheKeyType: cache.k.toUpperCase() as "F16",
    experimentalKvCacheValueType: cache.v.toUpperCase() as "F16",
  });
  try {
    return await run(context.getSequence());
  } finally {
    await context.dispose();
  }
}

/** The saved state of a cache that read `input`. */
async function savedState(
  cache: Cache,
  input: readonly Token[],
  on: LlamaModel = model,
): Promise<Uint8Array> {
  const path = join(dir, `state-${Math.random().toString(36).slice(2)}.bin`);
  await withSequence(
    cache,
    async (sequence) => {
      await sequence.evaluateWithoutGeneratingNewTokens(input as Token[]);
      await sequence.saveStateToFile(path);
    },
    on,
  );
  return new Uint8Array(await readFile(path));
}

/** Next-token distributions after each of `tail`, with the cache holding what came before. */
async function distributions(sequence: LlamaContextSequence, tail: readonly Token[]) {
  const results = await sequence.controlledEvaluate(
    tail.map((token) => [token, { generateNext: { probabilities: true } }]),
  );
  return tail.map((_, i) => results[i]!.next!.probabilities!);
}

function compare(a: Map<Token, number>[], b: Map<Token, number>[]) {
  let kl = 0;
  let same = 0;
  for (let i = 0; i < a.length; i++) {
    let sum = 0;
    for (const [token, p] of a[i]!) {
      const q = Math.max(b[i]!.get(token) ?? 0, 1e-12);
      if (p > 0) {
        sum += p * Math.log(p / q);
      }
    }
    kl += sum;
    const top = (m: Map<Token, number>) => [...m.entries()].sort((x, y) => y[1] - x[1])[0]![0];
    if (top(a[i]!) === top(b[i]!)) {
      same++;
    }
  }
  return { meanKl: kl / a.length, same: same / a.length };
}

/** Layer 0's K (or V) rows of a state, decoded, with a rotation of `rotation` undone. */
function layer0(bytes: Uint8Array, which: "k" | "v", rotation: number): Float32Array[] {
  const state = parseSeqState(bytes);
  const stream = state.streams[0]!;
  const m = stream[which][0]!;
  const rows: Float32Array[] = [];
  for (let c = 0; c < stream.cells; c++) {
    const row = new Float32Array(m.embd);
    dequantizeRow(m.type, bytes, m.offset + c * rowSize(m.type, m.embd), row, m.embd);
    if (rotation > 0) {
      hadamardInPlace(row, m.embd, rotation);
    }
    rows.push(row);
  }
  return rows;
}

/**
 * Layer 0's K and V do not depend on the cache, so an f32 cache holds the exact values llama.cpp
 * rotated and quantized when it wrote its quantized caches: ours must come out the same.
 */
async function expectLayer0AsLlamaCpp(on: LlamaModel, input: readonly Token[], h: KvHeads) {
  const exact = await savedState({ k: "f32", v: "f32", fa: true }, input, on);
  for (const type of ["q8_0", "q4_0", "q5_1", "iq4_nl"] as const) {
    const theirs = await savedState({ k: type, v: type, fa: true }, input, on);
    const ours = convertSeqState(exact, { k: type, v: type, vTrans: false }, h).bytes;
    for (const which of ["k", "v"] as const) {
      const rotation = kvRotation(which, true, which === "k" ? h.headDimK : h.headDimV, {});
      const a = layer0(ours, which, rotation);
      const b = layer0(theirs, which, rotation);
      const ref = layer0(exact, which, 0);
      let equal = 0;
      let total = 0;
      let err = 0;
      let scale = 0;
      for (let c = 0; c < a.length; c++) {
        for (let j = 0; j < a[c]!.length; j++) {
          total++;
          if (Math.abs(a[c]![j]! - b[c]![j]!) <= 1e-6 * Math.abs(b[c]![j]!)) {
            equal++;
          }
          err += (a[c]![j]! - ref[c]![j]!) ** 2;
          scale += ref[c]![j]! ** 2;
        }
      }
      // The rotation is a matrix product in llama.cpp and a butterfly here: float rounding
      // may move a value across a rounding boundary now and then (about 1 % of q8_0's values
      // over runs of 128), nothing more; a wrong rotation would leave almost none equal.
      expect(equal / total, `${type} ${which}`).toBeGreaterThan(0.98);
      expect(Math.sqrt(err / scale), `${type} ${which}`).toBeLessThan(
        type === "q8_0" ? 0.01 : 0.12,
      );
    }
  }
}

describe("KV state conversion against llama.cpp", () => {
  it("quantizes layer 0 exactly as llama.cpp does, Hadamard rotation included", async () => {
    await expectLayer0AsLlamaCpp(model, tokens.slice(0, 64), heads);
  });

  const cases: Array<[string, Cache, Cache]> = [
    ["f16 → q8_0", { k: "f16", v: "f16", fa: true }, { k: "q8_0", v: "q8_0", fa: true }],
    ["q8_0 → q4_0", { k: "q8_0", v: "q8_0", fa: true }, { k: "q4_0", v: "q4_0", fa: true }],
    ["q4_0 → f16", { k: "q4_0", v: "q4_0", fa: true }, { k: "f16", v: "f16", fa: true }],
    [
      "q8_0/q4_0 → iq4_nl/q5_0",
      { k: "q8_0", v: "q4_0", fa: true },
      { k: "iq4_nl", v: "q5_0", fa: true },
    ],
    [
      "f16 → q8_0 K, flash attention off",
      { k: "f16", v: "f16", fa: false },
      { k: "q8_0", v: "f16", fa: false },
    ],
    [
      "q8_0 K → q4_0 K, flash attention off",
      { k: "q8_0", v: "f16", fa: false },
      { k: "q4_0", v: "f16", fa: false },
    ],
    [
      "q4_0/f16 → f16, off → on",
      { k: "q4_0", v: "f16", fa: false },
      { k: "f16", v: "f16", fa: true },
    ],
    ["f16 on → q5_1/f16 off", { k: "f16", v: "f16", fa: true }, { k: "q5_1", v: "f16", fa: false }],
  ];

  it.each(cases)(
    "%s: the converted cache predicts what re-reading predicts",
    async (_, from, to) => {
      const tail = tokens.slice(-8);
      const head = tokens.slice(0, tokens.length - tail.length);
      const state = await savedState(from, head);
      const converted = convertSeqState(state, { k: to.k, v: to.v, vTrans: !to.fa }, heads);
      const path = join(dir, "converted.bin");
      await writeFile(path, converted.bytes);
      const loaded = await withSequence(to, async (sequence) => {
        await sequence.loadStateFromFile(path, { acceptRisk: true });
        expect(sequence.contextTokens).toEqual(head);
        return distributions(sequence, tail);
      });
      const reread = await withSequence(to, async (sequence) => {
        await sequence.evaluateWithoutGeneratingNewTokens(head);
        return distributions(sequence, tail);
      });
      const result = compare(reread, loaded);
      expect(result.meanKl).toBeLessThan(0.01);
      expect(result.same).toBe(1);
    },
  );

  it("refuses a cut-off or foreign file before llama.cpp sees it (llama.cpp aborts on one)", async () => {
    const state = await savedState({ k: "f16", v: "f16", fa: true }, tokens.slice(0, 16));
    expect(() => parseSeqState(state.subarray(0, state.byteLength - 100))).toThrow(/ends inside/);
    const padded = new Uint8Array(state.byteLength + 4);
    padded.set(state);
    expect(() => parseSeqState(padded)).toThrow(/bytes after its last layer/);
    const foreign = state.slice();
    foreign[4] = 9;
    expect(() => convertSeqState(foreign, { k: "q8_0", v: "q8_0", vTrans: false }, heads)).toThrow(
      /not a llama.cpp sequence state file/,
    );
  });

  it("a conversion that ignored llama.cpp's rotation would be caught", async () => {
    const tail = tokens.slice(-8);
    const head = tokens.slice(0, tokens.length - tail.length);
    const state = await savedState({ k: "f16", v: "f16", fa: true }, head);
    const to: Cache = { k: "q4_0", v: "q4_0", fa: true };
    // Converting as if llama.cpp did not rotate: the rows go in unrotated.
    const wrong = convertSeqState(
      state,
      { k: to.k, v: to.v, vTrans: false },
      {
        ...heads,
        env: { LLAMA_ATTN_ROT_DISABLE: "1" },
      },
    );
    const path = join(dir, "wrong.bin");
    await writeFile(path, wrong.bytes);
    const loaded = await withSequence(to, async (sequence) => {
      await sequence.loadStateFromFile(path, { acceptRisk: true });
      return distributions(sequence, tail);
    });
    const reread = await withSequence(to, async (sequence) => {
      await sequence.evaluateWithoutGeneratingNewTokens(head);
      return distributions(sequence, tail);
    });
    expect(compare(reread, loaded).meanKl).toBeGreaterThan(0.05);
  });
});

describe("KV state conversion on tiny models", () => {
  // Head size 128: K is rotated in runs of 128 and V of 64. Head size 32: no rotation at all.
  it.each([
    [512, 4, 128],
    [256, 8, 32],
  ])(
    "embd %i, %i heads (head size %i): layer 0 as llama.cpp writes it, and the same predictions",
    async (embd, headCount, head) => {
      const tiny = await llama.loadModel({
        modelPath: await tinyModelPath({ embd, heads: headCount, kvHeads: headCount / 2 }),
      });
      try {
        const h: KvHeads = { headDimK: head, headDimV: head, env: {} };
        const input = tiny.tokenize(
          "The old house on the hill was quiet, and the farmer came home late in the evening.",
        );
        await expectLayer0AsLlamaCpp(tiny, input, h);
        const tail = input.slice(-4);
        const lead = input.slice(0, input.length - tail.length);
        for (const [from, to] of [
          [
            { k: "f16", v: "f16", fa: true },
            { k: "q4_0", v: "q8_0", fa: true },
          ],
          [
            { k: "q8_0", v: "q4_0", fa: true },
            { k: "f16", v: "f16", fa: false },
          ],
        ] as Array<[Cache, Cache]>) {
          const converted = convertSeqState(
            await savedState(from, lead, tiny),
            {
              k: to.k,
              v: to.v,
              vTrans: !to.fa,
            },
            h,
          );
          const path = join(dir, "tiny.bin");
          await writeFile(path, converted.bytes);
          const loaded = await withSequence(
            to,
            async (sequence) => {
              await sequence.loadStateFromFile(path, { acceptRisk: true });
              return distributions(sequence, tail);
            },
            tiny,
          );
          const reread = await withSequence(
            to,
            async (sequence) => {
              await sequence.evaluateWithoutGeneratingNewTokens(lead);
              return distributions(sequence, tail);
            },
            tiny,
          );
          // Random weights give near-uniform distributions: KL is the meaningful figure here.
          expect(compare(reread, loaded).meanKl).toBeLessThan(1e-3);
        }
      } finally {
        await tiny.dispose();
      }
    },
  );
});

describe("row codecs", () => {
  it("round-trips every type within its grid's worst error", () => {
    const n = 256;
    const x = new Float32Array(n).map((_, i) => Math.sin(i * 0.37) * (1 + (i % 7)));
    // The worst error as a share of a block's largest magnitude: half a step, or for the
    // symmetric types the far end their grid does not reach (q4_0 stops at 7/8 of it),
    // with room for the fp16 scale's rounding.
    const share = {
      f32: 0,
      f16: 1 / 2048,
      bf16: 1 / 256,
      q8_0: 1 / 254,
      q5_1: 2 / 62,
      q5_0: 1 / 16,
      q4_1: 2 / 30,
      q4_0: 1 / 8,
      iq4_nl: 14 / 127,
    } as const;
    for (const type of Object.keys(share) as Array<keyof typeof share>) {
      const bytes = new Uint8Array(rowSize(type, n));
      quantizeRow(type, x, n, bytes, 0);
      const y = new Float32Array(n);
      dequantizeRow(type, bytes, 0, y, n);
      for (let b = 0; b < n; b += 32) {
        let amax = 0;
        let err = 0;
        for (let i = b; i < b + 32; i++) {
          amax = Math.max(amax, Math.abs(x[i]!));
          err = Math.max(err, Math.abs(x[i]! - y[i]!));
        }
        expect(err, `${type} block ${b / 32}`).toBeLessThanOrEqual(
          amax * (share[type] + 1 / 1024) + 1e-6,
        );
      }
    }
  });
});
