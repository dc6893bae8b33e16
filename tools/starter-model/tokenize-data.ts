/**
 * Tokenize the prepared Brown splits into compact uint16 streams for the GPU trainer.
 *
 *   npx tsx tools/starter-model/tokenize-data.ts
 *
 * Writes resources/data/brown/tokens/ (git-ignored; carried to the GPU machine):
 *   train.bin  training documents minus the dev documents, as one text (documents separated by
 *              "\n\n", exactly the format of train.txt), tokenized as a whole, no BOS
 *   dev.bin    the dev documents (2.5% of the training split, chosen by a salted hash), used by the
 *              trainer for early stopping / model selection, so eval stays untouched
 *   eval.bin   BOS + eval.txt (trailing "\n" removed): the exact token stream llama-perplexity
 *              evaluates with `-f eval.txt`
 *   calib.bin  the same for calib.txt
 *   meta.json  counts, ids, vocabulary facts
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { BpeTokenizer } from "./tokenizer/bpe.js";
import { DEFAULT_DATA_DIR, brownSplitPaths, type BrownManifest } from "./prepare-data.js";

export const DEV_SALT = "lowbit-brown-dev-v1:";
export const DEV_DOCUMENTS = 12;

function toBin(ids: readonly number[]): Buffer {
  const arr = new Uint16Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i]!;
    if (v < 0 || v > 65535) {
      throw new Error(`token id ${v} does not fit uint16`);
    }
    arr[i] = v;
  }
  return Buffer.from(arr.buffer);
}

/** Split a split file back into its documents (documents are separated by one blank line). */
export function splitDocuments(text: string): string[] {
  return text.replace(/\n$/, "").split("\n\n");
}

/** The llama-perplexity view of a text file: trailing "\n" removed, BOS prepended. */
export function perplexityTokens(tok: BpeTokenizer, fileText: string): number[] {
  const t = fileText.endsWith("\n") ? fileText.slice(0, -1) : fileText;
  return tok.encode(t, { addBos: true });
}

export function tokenizeSplits(dataDir: string = DEFAULT_DATA_DIR): Record<string, unknown> {
  const paths = brownSplitPaths(dataDir);
  const manifest = JSON.parse(readFileSync(paths.manifest, "utf8")) as BrownManifest;
  const tok = BpeTokenizer.load();
  const outDir = join(dataDir, "tokens");
  mkdirSync(outDir, { recursive: true });

  const trainText = readFileSync(paths.train, "utf8");
  const docs = splitDocuments(trainText);
  const ids = manifest.splits.train.documents;
  if (docs.length !== ids.length) {
    throw new Error(`train.txt has ${docs.length} documents, manifest ${ids.length}`);
  }
  const ranked = [...ids].sort((a, b) => {
    const ka = createHash("sha256")
      .update(DEV_SALT + a)
      .digest("hex");
    const kb = createHash("sha256")
      .update(DEV_SALT + b)
      .digest("hex");
    return ka < kb ? -1 : 1;
  });
  const devSet = new Set(ranked.slice(0, DEV_DOCUMENTS));
  const trainDocs = docs.filter((_, i) => !devSet.has(ids[i]!));
  const devDocs = docs.filter((_, i) => devSet.has(ids[i]!));

  const trainIds = tok.encode(trainDocs.join("\n\n"));
  const devIds = tok.encode(devDocs.join("\n\n"), { addBos: true });
  const evalIds = perplexityTokens(tok, readFileSync(paths.eval, "utf8"));
  const calibIds = perplexityTokens(tok, readFileSync(paths.calib, "utf8"));
  writeFileSync(join(outDir, "train.bin"), toBin(trainIds));
  writeFileSync(join(outDir, "dev.bin"), toBin(devIds));
  writeFileSync(join(outDir, "eval.bin"), toBin(evalIds));
  writeFileSync(join(outDir, "calib.bin"), toBin(calibIds));
  const meta = {
    vocabSize: tok.vocabSize,
    bos: tok.bos,
    eos: tok.eos,
    dtype: "uint16-le",
    tokens: {
      train: trainIds.length,
      dev: devIds.length,
      eval: evalIds.length,
      calib: calibIds.length,
    },
    devDocuments: ids.filter((id) => devSet.has(id)),
    trainDocuments: trainDocs.length,
    evalSha256: manifest.splits.eval.sha256,
    bytesPerToken: Buffer.byteLength(trainDocs.join("\n\n")) / trainIds.length,
  };
  writeFileSync(join(outDir, "meta.json"), JSON.stringify(meta, null, 2) + "\n");
  return meta;
}

if (
  process.argv[1] !== undefined &&
  import.meta.url === new URL(`file://${process.argv[1]}`).href
) {
  console.log(JSON.stringify(tokenizeSplits(), null, 2));
}
