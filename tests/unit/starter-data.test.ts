import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  assignSplits,
  buildBrownSplits,
  detokenizeBrownDocument,
  joinWords,
  listBrownDocuments,
  locateBrownCorpus,
  prepareBrownData,
  readSplitsLock,
} from "../../tools/starter-model/prepare-data.js";
import { BpeTokenizer, preTokenize } from "../../tools/starter-model/tokenizer/bpe.js";

const sha256 = (s: string | Buffer): string => createHash("sha256").update(s).digest("hex");

describe("Brown splits", () => {
  let built: ReturnType<typeof buildBrownSplits>;
  beforeAll(() => {
    built = buildBrownSplits();
  });

  it("derives exactly the eval and calib splits committed in splits.lock.json", () => {
    const lock = readSplitsLock();
    expect(built.ids.eval).toEqual(lock.eval.documents);
    expect(built.ids.calib).toEqual(lock.calib.documents);
    expect(sha256(built.texts.eval)).toBe(lock.eval.sha256);
    expect(sha256(built.texts.calib)).toBe(lock.calib.sha256);
  });

  it("splits documents disjointly, ~5% / ~5% / rest, covering the whole corpus", () => {
    const { eval: ev, calib, train } = built.ids;
    const all = [...ev, ...calib, ...train];
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(500);
    expect(ev.length).toBe(25);
    expect(calib.length).toBe(25);
    const evSet = new Set(ev);
    expect(calib.some((id) => evSet.has(id))).toBe(false);
    expect(train.some((id) => evSet.has(id) || calib.includes(id))).toBe(false);
    // no paragraph of a held-out document appears in the training text
    const trainParas = new Set(built.texts.train.split("\n").filter((p) => p.length > 80));
    const leaked = built.texts.eval.split("\n").filter((p) => p.length > 80 && trainParas.has(p));
    expect(leaked).toEqual([]);
  });

  it("assigns splits by document id alone (order and membership independent of input order)", () => {
    const ids = listBrownDocuments(locateBrownCorpus().dir);
    const a = assignSplits(ids);
    const b = assignSplits([...ids].reverse());
    expect(b).toEqual(a);
    const without = assignSplits(ids.filter((id) => id !== a.train[0]));
    expect(without.eval).toEqual(a.eval);
  });

  it("reads as plain prose: no tags, quotes and punctuation re-attached", () => {
    const text = built.texts.eval;
    expect(text).not.toMatch(/\/(at|nn|vbd|in)\b/);
    expect(text).not.toContain("``");
    expect(text).not.toContain("''");
    expect(text).not.toMatch(/ [,.;:?!](\s|$)/m);
    expect(text).not.toMatch(/\( | \)/);
    expect(text).not.toContain("\n\n\n");
    expect(text.endsWith("\n") && !text.endsWith("\n\n")).toBe(true);
  });
});

describe("Brown detokenizer", () => {
  it("rebuilds spacing and quotes", () => {
    expect(joinWords(["He", "said", ",", "``", "Go", "home", "''", "."])).toBe(
      'He said, "Go home".',
    );
    expect(joinWords(["a", "(", "b", ")", "c", "--", "d", ";", "e", "?"])).toBe("a (b) c--d; e?");
    expect(joinWords(["the", "'", "Met", "'", "is", "back"])).toBe("the 'Met' is back");
    expect(joinWords(["50%", "of", "1/4''", "pipe"])).toBe('50% of 1/4" pipe');
  });

  it("keeps headlines and paragraphs apart", () => {
    const raw =
      "\n\n\tThe/at jury/nn said/vbd ./.\nIt/pps agreed/vbd ./.\n\n\nMerger/nn-hl proposed/vbn-hl \nHowever/wrb ,/, no/at ./.\n";
    expect(detokenizeBrownDocument(raw)).toEqual([
      "The jury said. It agreed.",
      "Merger proposed",
      "However, no.",
    ]);
  });
});

describe("prepareBrownData", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "lowbit-brown-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes the splits and a manifest whose hashes match the files, then is idempotent", () => {
    const first = prepareBrownData({ outDir: dir });
    expect(first.wrote).toBe(true);
    for (const name of ["train", "eval", "calib"] as const) {
      const entry = first.manifest.splits[name];
      expect(sha256(readFileSync(first.paths[name]))).toBe(entry.sha256);
      expect(statSync(first.paths[name]).size).toBe(entry.bytes);
    }
    const manifest = JSON.parse(
      readFileSync(first.paths.manifest, "utf8"),
    ) as typeof first.manifest;
    expect(manifest.splits.eval.documents).toEqual(readSplitsLock().eval.documents);
    const mtime = statSync(first.paths.train).mtimeMs;
    const second = prepareBrownData({ outDir: dir });
    expect(second.wrote).toBe(false);
    expect(statSync(second.paths.train).mtimeMs).toBe(mtime);
  });
});

describe("starter tokenizer (TypeScript encoder)", () => {
  // The GPT-2 pre-tokenizer regex, as JS can run it directly (lookahead and \p{..} included).
  const GPT2 = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
  const samples = [
    "Hello world! It's 1961, isn't it?",
    "  leading spaces and   inner   runs  \n\n\tTabs\tand\nnewlines \n",
    "Don't you'll we've I'm they'd 'quoted' ''double'' $1,000.50 -- 3.5%",
    "Ünïcödé wörds, 東京 and emoji 🎉 mixed 123abc",
    "trailing whitespace   ",
  ];

  it("pre-tokenizes exactly like the GPT-2 regex", () => {
    for (const s of samples) {
      expect(preTokenize(s)).toEqual(s.match(GPT2) ?? []);
    }
  });

  it("round-trips text and has the declared vocabulary layout", () => {
    const tok = BpeTokenizer.load();
    expect(tok.vocabSize % 256).toBe(0);
    expect(tok.tokens[tok.bos]).toBe("<|endoftext|>");
    expect(tok.tokenTypes[tok.bos]).toBe(3);
    for (const s of samples) {
      expect(tok.decode(tok.encode(s))).toBe(s);
    }
    // special-token text is plain text to the encoder (llama.cpp parse_special = false)
    expect(tok.encode("<|endoftext|>")).not.toContain(tok.bos);
    expect(tok.encode("The jury", { addBos: true })[0]).toBe(tok.bos);
    // common words are single tokens
    expect(tok.encode(" the")).toHaveLength(1);
  });
});
