/**
 * GPT-2's byte-level BPE alphabet: every byte gets a printable stand-in character, so a
 * vocabulary of 256 single-character tokens can spell any UTF-8 text (space is "Ġ", newline "Ċ").
 * Port of `bytes_to_unicode` from openai/gpt-2 `src/encoder.py`.
 */
export function bytesToUnicode(): Map<number, string> {
  const printable: number[] = [];
  const ranges: readonly [number, number][] = [
    [0x21, 0x7e], // "!" … "~"
    [0xa1, 0xac], // "¡" … "¬"
    [0xae, 0xff], // "®" … "ÿ"
  ];
  for (const [from, to] of ranges) {
    for (let b = from; b <= to; b++) {
      printable.push(b);
    }
  }
  const map = new Map<number, string>();
  for (const b of printable) {
    map.set(b, String.fromCodePoint(b));
  }
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (!map.has(b)) {
      map.set(b, String.fromCodePoint(256 + next++));
    }
  }
  return map;
}

/** The 256 byte tokens in GPT-2's vocabulary order (printable bytes first). */
export function byteTokens(): string[] {
  return [...bytesToUnicode().values()];
}

const letters = "etaoinshrdlucmfwypvbgkjqxz";
const space = bytesToUnicode().get(0x20)!;

/**
 * Up to `count` merges over the byte tokens: " x" for each letter, then letter pairs in rough
 * English frequency order. Each merge's result becomes a token, so `tokens` has one per merge.
 */
export function simpleMerges(count: number): { merges: string[]; tokens: string[] } {
  const pairs: [string, string][] = [...letters].map((c) => [space, c]);
  for (const a of letters) {
    for (const b of letters) {
      pairs.push([a, b]);
    }
  }
  const chosen = pairs.slice(0, Math.max(0, count));
  return {
    merges: chosen.map(([a, b]) => `${a} ${b}`),
    tokens: chosen.map(([a, b]) => a + b),
  };
}
