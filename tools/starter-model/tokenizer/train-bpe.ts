/**
 * Deterministic byte-level BPE trainer (GPT-2 pre-tokenizer) for the starter model.
 *
 *   npx tsx tools/starter-model/tokenizer/train-bpe.ts [--vocab 8192] [--input resources/data/brown/train.txt]
 *
 * Writes tools/starter-model/tokenizer/tokenizer.json. Vocabulary layout:
 *   ids 0..255       the 256 single-byte tokens, id = byte value (GPT-2 byte alphabet text)
 *   ids 256..V-3     merged tokens in the order they were learned
 *   id  V-2          <|endoftext|>  (BOS = EOS, control)
 *   id  V-1          <|pad|>        (control)
 * Ties between equally frequent pairs are broken by the smaller (left id, right id), so the
 * result depends only on the input text.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { DEFAULT_DATA_DIR, REPO_ROOT, brownSplitPaths } from "../prepare-data.js";
import { BYTE_TO_CHAR, DEFAULT_TOKENIZER_PATH, preTokenize, type TokenizerFile } from "./bpe.js";

export const SPECIAL_TOKENS = ["<|endoftext|>", "<|pad|>"] as const;

const KEY = 1048576; // 2^20: pair key = left * KEY + right

/** Max-heap of (count desc, key asc) with lazy deletion. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];
  get size(): number {
    return this.keys.length;
  }
  private better(i: number, j: number): boolean {
    const ci = this.counts[i]!;
    const cj = this.counts[j]!;
    return ci > cj || (ci === cj && this.keys[i]! < this.keys[j]!);
  }
  private swap(i: number, j: number): void {
    const c = this.counts[i]!;
    this.counts[i] = this.counts[j]!;
    this.counts[j] = c;
    const k = this.keys[i]!;
    this.keys[i] = this.keys[j]!;
    this.keys[j] = k;
  }
  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.keys.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.better(i, p)) {
        break;
      }
      this.swap(i, p);
      i = p;
    }
  }
  pop(): [number, number] {
    const top: [number, number] = [this.counts[0]!, this.keys[0]!];
    const lc = this.counts.pop()!;
    const lk = this.keys.pop()!;
    if (this.keys.length > 0) {
      this.counts[0] = lc;
      this.keys[0] = lk;
      let i = 0;
      const n = this.keys.length;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < n && this.better(l, m)) {
          m = l;
        }
        if (r < n && this.better(r, m)) {
          m = r;
        }
        if (m === i) {
          break;
        }
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

export function trainBpe(text: string, vocabSize: number): TokenizerFile {
  if (vocabSize % 256 !== 0) {
    throw new Error("vocabulary size must be a multiple of 256");
  }
  const nNormal = vocabSize - SPECIAL_TOKENS.length;

  // word frequencies (pre-tokens), in first-seen order
  const freq = new Map<string, number>();
  for (const p of preTokenize(text)) {
    freq.set(p, (freq.get(p) ?? 0) + 1);
  }

  const tokens: string[] = [];
  const tokenToId = new Map<string, number>();
  for (let b = 0; b < 256; b++) {
    tokens.push(BYTE_TO_CHAR[b]!);
    tokenToId.set(BYTE_TO_CHAR[b]!, b);
  }

  const enc = new TextEncoder();
  const words: number[][] = [];
  const wfreq: number[] = [];
  for (const [w, f] of freq) {
    words.push(Array.from(enc.encode(w)));
    wfreq.push(f);
  }

  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPairs = (wi: number, sign: number): Set<number> => {
    const ids = words[wi]!;
    const f = wfreq[wi]! * sign;
    const touched = new Set<number>();
    for (let i = 0; i + 1 < ids.length; i++) {
      const k = ids[i]! * KEY + ids[i + 1]!;
      pairCount.set(k, (pairCount.get(k) ?? 0) + f);
      touched.add(k);
      if (sign > 0) {
        let s = pairWords.get(k);
        if (!s) {
          pairWords.set(k, (s = new Set()));
        }
        s.add(wi);
      }
    }
    return touched;
  };
  for (let wi = 0; wi < words.length; wi++) {
    addPairs(wi, +1);
  }

  const heap = new PairHeap();
  for (const [k, c] of pairCount) {
    heap.push(c, k);
  }

  const merges: string[] = [];
  while (tokens.length < nNormal && heap.size > 0) {
    const [c, k] = heap.pop();
    if (pairCount.get(k) !== c || c < 2) {
      continue;
    } // stale entry (or nothing worth merging)
    const a = Math.floor(k / KEY);
    const b = k % KEY;
    const merged = tokens[a]! + tokens[b]!;
    let id = tokenToId.get(merged);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(merged);
      tokenToId.set(merged, id);
    }
    merges.push(`${tokens[a]!} ${tokens[b]!}`);
    const changed = new Set<number>();
    for (const wi of pairWords.get(k) ?? []) {
      const ids = words[wi]!;
      let has = false;
      for (let i = 0; i + 1 < ids.length; i++) {
        if (ids[i] === a && ids[i + 1] === b) {
          has = true;
          break;
        }
      }
      if (!has) {
        continue;
      }
      for (const t of addPairs(wi, -1)) {
        changed.add(t);
      }
      const out: number[] = [];
      for (let i = 0; i < ids.length;) {
        if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
          out.push(id);
          i += 2;
        } else {
          out.push(ids[i]!);
          i += 1;
        }
      }
      words[wi] = out;
      for (const t of addPairs(wi, +1)) {
        changed.add(t);
      }
    }
    pairWords.delete(k);
    pairCount.delete(k);
    for (const t of [...changed].sort((x, y) => x - y)) {
      const cnt = pairCount.get(t);
      if (cnt !== undefined && cnt > 0) {
        heap.push(cnt, t);
      }
    }
  }
  if (tokens.length < nNormal) {
    throw new Error(`only ${tokens.length} tokens could be learned; lower the vocabulary size`);
  }
  for (const s of SPECIAL_TOKENS) {
    tokens.push(s);
  }
  const tokenTypes = tokens.map((_, i) => (i >= nNormal ? 3 : 1));
  return {
    version: 1,
    model: "gpt2",
    pre: "gpt-2",
    tokens,
    tokenTypes,
    merges,
    special: { bos: nNormal, eos: nNormal, pad: nNormal + 1 },
    addBos: true,
    trainedOn: { file: "", sha256: createHash("sha256").update(text).digest("hex") },
  };
}

function main(argv: string[]): void {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const vocab = Number(arg("--vocab") ?? 8192);
  const input = resolve(arg("--input") ?? brownSplitPaths(DEFAULT_DATA_DIR).train);
  const output = resolve(arg("--output") ?? DEFAULT_TOKENIZER_PATH);
  const t0 = Date.now();
  const text = readFileSync(input, "utf8");
  const tok = trainBpe(text, vocab);
  tok.trainedOn.file = relative(REPO_ROOT, input);
  // plain JSON; the committed copy is additionally formatted with prettier (see README)
  const json = JSON.stringify(tok, null, 2) + "\n";
  writeFileSync(output, json);
  console.log(
    `trained ${tok.tokens.length} tokens, ${tok.merges.length} merges in ${((Date.now() - t0) / 1000).toFixed(1)} s → ${relative(REPO_ROOT, output)}`,
  );
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2));
}
