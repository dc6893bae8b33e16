/**
 * Byte-level BPE with the GPT-2 pre-tokenizer, written to tokenize exactly as llama.cpp does for
 * `tokenizer.ggml.model = "gpt2"`, `tokenizer.ggml.pre = "gpt-2"`:
 *  - pre-tokenization: a port of `unicode_regex_split_custom_gpt2` (llama.cpp src/unicode.cpp),
 *    i.e. the regex  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *  - each piece is mapped to bytes, bytes to GPT-2's printable byte alphabet (bytes_to_unicode)
 *  - merges: the same priority queue as `llm_tokenizer_bpe_session::tokenize` (lowest merge rank
 *    first, ties to the leftmost pair), so the result is identical, not just usually equal.
 *  - special tokens in plain text are NOT parsed (llama.cpp parse_special = false): they are
 *    control tokens there and only match when parse_special is on.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const DEFAULT_TOKENIZER_PATH = join(
  dirname(fileURLToPath(import.meta.url)),
  "tokenizer.json",
);

// ---------------------------------------------------------------------------------------------
// GPT-2 byte ↔ unicode alphabet
// ---------------------------------------------------------------------------------------------

function buildByteAlphabet(): { byteToChar: string[]; charToByte: Map<string, number> } {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) {
    bs.push(b);
  }
  for (let b = 0xa1; b <= 0xac; b++) {
    bs.push(b);
  }
  for (let b = 0xae; b <= 0xff; b++) {
    bs.push(b);
  }
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const byteToChar = new Array<string>(256);
  const charToByte = new Map<string, number>();
  for (let i = 0; i < bs.length; i++) {
    const ch = String.fromCodePoint(cs[i]!);
    byteToChar[bs[i]!] = ch;
    charToByte.set(ch, bs[i]!);
  }
  return { byteToChar, charToByte };
}

export const { byteToChar: BYTE_TO_CHAR, charToByte: CHAR_TO_BYTE } = buildByteAlphabet();

/** Bytes → GPT-2 printable string (the form tokens and merges take in the GGUF). */
export function bytesToTokenText(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) {
    s += BYTE_TO_CHAR[b]!;
  }
  return s;
}

export function tokenTextToBytes(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const b = CHAR_TO_BYTE.get(ch);
    if (b === undefined) {
      throw new Error(`not a byte-level token character: U+${ch.codePointAt(0)!.toString(16)}`);
    }
    out.push(b);
  }
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------------------------------------
// GPT-2 pre-tokenizer (port of llama.cpp unicode_regex_split_custom_gpt2)
// ---------------------------------------------------------------------------------------------

/** llama.cpp's unicode_set_whitespace. */
const WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004,
  0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);
const LETTER = /^\p{L}$/u;
const NUMBER = /^\p{N}$/u;

const F_LETTER = 1;
const F_NUMBER = 2;
const F_SPACE = 4;
const F_OTHER = 8; // any in-range code point (as_uint() != 0 in llama.cpp)

const flagCache = new Map<number, number>();
function cptFlags(cpt: number): number {
  if (cpt < 128) {
    if ((cpt >= 0x41 && cpt <= 0x5a) || (cpt >= 0x61 && cpt <= 0x7a)) {
      return F_LETTER | F_OTHER;
    }
    if (cpt >= 0x30 && cpt <= 0x39) {
      return F_NUMBER | F_OTHER;
    }
    if (WHITESPACE.has(cpt)) {
      return F_SPACE | F_OTHER;
    }
    return F_OTHER;
  }
  let f = flagCache.get(cpt);
  if (f === undefined) {
    const ch = String.fromCodePoint(cpt);
    f = F_OTHER;
    if (LETTER.test(ch)) {
      f |= F_LETTER;
    } else if (NUMBER.test(ch)) {
      f |= F_NUMBER;
    }
    if (WHITESPACE.has(cpt)) {
      f |= F_SPACE;
    }
    flagCache.set(cpt, f);
  }
  return f;
}

/** Split text into GPT-2 pre-tokens (strings), exactly as llama.cpp's gpt2 splitter. */
export function preTokenize(text: string): string[] {
  const cpts: number[] = [];
  for (const ch of text) {
    cpts.push(ch.codePointAt(0)!);
  }
  const n = cpts.length;
  const OUT = -1;
  const cptAt = (p: number): number => (p >= 0 && p < n ? cpts[p]! : OUT);
  const flagsAt = (p: number): number => (p >= 0 && p < n ? cptFlags(cpts[p]!) : 0);
  const pieces: string[] = [];
  let prevEnd = 0;
  const add = (end: number): number => {
    const len = end - prevEnd;
    if (len > 0) {
      pieces.push(String.fromCodePoint(...cpts.slice(prevEnd, end)));
    }
    prevEnd = end;
    return len;
  };
  const isPunct = (f: number): boolean => (f & (F_SPACE | F_LETTER | F_NUMBER)) === 0 && f !== 0;
  for (let pos = 0; pos < n;) {
    const cpt = cptAt(pos);
    const flags = flagsAt(pos);
    // 's|'t|'re|'ve|'m|'ll|'d
    if (cpt === 0x27 && pos + 1 < n) {
      const c1 = cptAt(pos + 1);
      if (c1 === 0x73 || c1 === 0x74 || c1 === 0x6d || c1 === 0x64) {
        pos += add(pos + 2);
        continue;
      }
      if (pos + 2 < n) {
        const c2 = cptAt(pos + 2);
        if (
          (c1 === 0x72 && c2 === 0x65) ||
          (c1 === 0x76 && c2 === 0x65) ||
          (c1 === 0x6c && c2 === 0x6c)
        ) {
          pos += add(pos + 3);
          continue;
        }
      }
    }
    let flags2 = cpt === 0x20 ? flagsAt(pos + 1) : flags;
    if (flags2 & F_LETTER) {
      pos += cpt === 0x20 ? 1 : 0;
      while (flags2 & F_LETTER) {
        flags2 = flagsAt(++pos);
      }
      add(pos);
      continue;
    }
    if (flags2 & F_NUMBER) {
      pos += cpt === 0x20 ? 1 : 0;
      while (flags2 & F_NUMBER) {
        flags2 = flagsAt(++pos);
      }
      add(pos);
      continue;
    }
    if (isPunct(flags2)) {
      pos += cpt === 0x20 ? 1 : 0;
      while (isPunct(flags2)) {
        flags2 = flagsAt(++pos);
      }
      add(pos);
      continue;
    }
    let nws = 0;
    while (flagsAt(pos + nws) & F_SPACE) {
      nws++;
    }
    // \s+(?!\S)
    if (nws > 1 && cptAt(pos + nws) !== OUT) {
      pos += nws - 1;
      add(pos);
      continue;
    }
    // \s+
    if (nws > 0) {
      pos += nws;
      add(pos);
      continue;
    }
    add(++pos);
  }
  return pieces;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer
// ---------------------------------------------------------------------------------------------

export interface TokenizerFile {
  version: number;
  model: "gpt2";
  pre: "gpt-2";
  /** Token texts in GPT-2 byte-alphabet form (specials as written). */
  tokens: string[];
  /** llama.cpp token types: 1 normal, 3 control. */
  tokenTypes: number[];
  /** "left right" in byte-alphabet form, in rank order. */
  merges: string[];
  special: { bos: number; eos: number; pad: number };
  addBos: boolean;
  trainedOn: { file: string; sha256: string };
}

export interface EncodeOptions {
  /** Prepend BOS (llama.cpp add_special with add_bos = true). Default false. */
  addBos?: boolean;
}

// Priority queue of bigrams: (rank asc, left asc)
interface Bigram {
  rank: number;
  left: number;
  right: number;
  leftId: number;
  rightId: number;
}

class BigramQueue {
  private heap: Bigram[] = [];
  get size(): number {
    return this.heap.length;
  }
  private less(a: Bigram, b: Bigram): boolean {
    return a.rank < b.rank || (a.rank === b.rank && a.left < b.left);
  }
  push(x: Bigram): void {
    const h = this.heap;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) {
        break;
      }
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): Bigram {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) {
          m = l;
        }
        if (r < h.length && this.less(h[r]!, h[m]!)) {
          m = r;
        }
        if (m === i) {
          break;
        }
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

const textEncoder = new TextEncoder();

export class BpeTokenizer {
  readonly tokens: readonly string[];
  readonly tokenTypes: readonly number[];
  readonly merges: readonly string[];
  readonly bos: number;
  readonly eos: number;
  readonly pad: number;
  readonly addBos: boolean;
  private readonly tokenToId = new Map<string, number>();
  /** key leftId * 2^20 + rightId → [rank, mergedId] */
  private readonly ranks = new Map<number, [number, number]>();
  private readonly byteIds: number[] = [];
  private readonly cache = new Map<string, number[]>();

  constructor(file: TokenizerFile) {
    this.tokens = file.tokens;
    this.tokenTypes = file.tokenTypes;
    this.merges = file.merges;
    this.bos = file.special.bos;
    this.eos = file.special.eos;
    this.pad = file.special.pad;
    this.addBos = file.addBos;
    file.tokens.forEach((t, i) => {
      if (this.tokenToId.has(t)) {
        throw new Error(`duplicate token text ${JSON.stringify(t)}`);
      }
      this.tokenToId.set(t, i);
    });
    for (let b = 0; b < 256; b++) {
      const id = this.tokenToId.get(BYTE_TO_CHAR[b]!);
      if (id === undefined) {
        throw new Error(`byte token ${b} missing`);
      }
      this.byteIds.push(id);
    }
    file.merges.forEach((m, rank) => {
      const sp = m.indexOf(" ", 1);
      const a = this.tokenToId.get(m.slice(0, sp));
      const b = this.tokenToId.get(m.slice(sp + 1));
      const ab = this.tokenToId.get(m.slice(0, sp) + m.slice(sp + 1));
      if (a === undefined || b === undefined || ab === undefined) {
        throw new Error(`bad merge ${JSON.stringify(m)}`);
      }
      const key = a * 1048576 + b;
      if (!this.ranks.has(key)) {
        this.ranks.set(key, [rank, ab]);
      }
    });
  }

  static load(path: string = DEFAULT_TOKENIZER_PATH): BpeTokenizer {
    return new BpeTokenizer(JSON.parse(readFileSync(path, "utf8")) as TokenizerFile);
  }

  get vocabSize(): number {
    return this.tokens.length;
  }

  /** BPE of one pre-token (bytes), replicating llm_tokenizer_bpe_session. */
  private bpeWord(piece: string): number[] {
    const cached = this.cache.get(piece);
    if (cached) {
      return cached;
    }
    const bytes = textEncoder.encode(piece);
    const n = bytes.length;
    const ids = new Array<number>(n);
    const alive = new Array<boolean>(n).fill(true);
    const prev = new Array<number>(n);
    const next = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      ids[i] = this.byteIds[bytes[i]!]!;
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const queue = new BigramQueue();
    const addBigram = (l: number, r: number): void => {
      if (l === -1 || r === -1) {
        return;
      }
      const e = this.ranks.get(ids[l]! * 1048576 + ids[r]!);
      if (!e) {
        return;
      }
      queue.push({ rank: e[0], left: l, right: r, leftId: ids[l]!, rightId: ids[r]! });
    };
    for (let i = 1; i < n; i++) {
      addBigram(i - 1, i);
    }
    while (queue.size > 0) {
      const bg = queue.pop();
      const l = bg.left;
      const r = bg.right;
      if (!alive[l] || !alive[r]) {
        continue;
      }
      if (ids[l] !== bg.leftId || ids[r] !== bg.rightId || next[l] !== r) {
        continue;
      } // outdated
      ids[l] = this.ranks.get(bg.leftId * 1048576 + bg.rightId)![1];
      alive[r] = false;
      next[l] = next[r]!;
      if (next[r]! >= 0) {
        prev[next[r]!] = l;
      }
      addBigram(prev[l]!, l);
      addBigram(l, next[l]!);
    }
    const out: number[] = [];
    for (let i = 0; i !== -1 && i < n; i = next[i]!) {
      if (alive[i]) {
        out.push(ids[i]!);
      }
    }
    if (this.cache.size < 200_000) {
      this.cache.set(piece, out);
    }
    return out;
  }

  /** Encode plain text (special-token text is treated as ordinary text). */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const out: number[] = [];
    if (options.addBos) {
      out.push(this.bos);
    }
    for (const piece of preTokenize(text)) {
      for (const id of this.bpeWord(piece)) {
        out.push(id);
      }
    }
    return out;
  }

  /** Decode ids to text (special tokens are rendered as their text unless skipSpecial). */
  decode(ids: readonly number[], skipSpecial = true): string {
    const bytes: number[] = [];
    let out = "";
    const flush = (): void => {
      out += new TextDecoder().decode(Uint8Array.from(bytes));
      bytes.length = 0;
    };
    for (const id of ids) {
      const t = this.tokens[id];
      if (t === undefined) {
        throw new Error(`token id ${id} out of range`);
      }
      if (this.tokenTypes[id] === 3) {
        if (!skipSpecial) {
          flush();
          out += t;
        }
        continue;
      }
      for (const b of tokenTextToBytes(t)) {
        bytes.push(b);
      }
    }
    flush();
    return out;
  }
}
