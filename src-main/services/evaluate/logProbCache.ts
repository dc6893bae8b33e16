import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { rename, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { AppError } from "../../contract/index.js";
import { formatBytes } from "../gguf/formatBytes.js";

/**
 * A base model's log-probabilities over one text at one context, as llama-perplexity saves them
 * (`--kl-divergence-base`): one per (base sha256, text sha256, context). KL divergence needs the
 * base's whole distribution at every scored token, which is large — 2 bytes × vocabulary × 255
 * tokens per chunk of 512: 4.2 MB for the starter model's 8,192 tokens, 78 MB for Qwen3's
 * 151,936 — so the cache has a size cap, and the chunk count is lowered to respect it.
 */
export interface CachedBase {
  path: string;
  baseSha256: string;
  textSha256: string;
  contextSize: number;
  /** Chunks in the file. */
  chunks: number;
  /** Chunks the whole text has at this context (the file holds all of them when equal). */
  textChunks: number;
  vocabSize: number;
  bytes: number;
  ppl: number;
  pplError: number;
  createdAt: string;
}

const HEADER_BYTES = 8 + 3 * 4;
/** Room kept for a file's JSON description, which counts against the cap too. */
const SIDECAR_BYTES = 4096;

/** Bytes of a log-prob file: header, every chunk's tokens, then 2-byte rows per scored token. */
export function logProbFileBytes(contextSize: number, vocabSize: number, chunks: number): number {
  return HEADER_BYTES + chunks * bytesPerChunk(contextSize, vocabSize);
}

export function bytesPerChunk(contextSize: number, vocabSize: number): number {
  const scored = contextSize - 1 - Math.floor(contextSize / 2);
  const stride = 2 * Math.ceil(vocabSize / 2) + 4;
  return contextSize * 4 + scored * stride * 2;
}

/** The most chunks whose base file fits in `capBytes` (0 when not even one does). */
export function chunksWithinCap(contextSize: number, vocabSize: number, capBytes: number): number {
  const room = capBytes - HEADER_BYTES - SIDECAR_BYTES;
  return Math.max(0, Math.floor(room / bytesPerChunk(contextSize, vocabSize)));
}

export class LogProbCache {
  constructor(
    readonly folder: string,
    private readonly capBytes: () => number,
  ) {
    mkdirSync(folder, { recursive: true });
    // A base pass cut short by the app dying leaves only a .partial behind.
    for (const name of readdirSync(folder)) {
      if (name.endsWith(".partial")) {
        rmSync(path.join(folder, name), { force: true });
      }
    }
  }

  get cap(): number {
    return this.capBytes();
  }

  /** Where the file for this base, text and context lives (whether or not it exists). */
  fileFor(baseSha256: string, textSha256: string, contextSize: number): string {
    return path.join(
      this.folder,
      `${baseSha256.slice(0, 16)}-${textSha256.slice(0, 16)}-c${contextSize}.logprobs`,
    );
  }

  /**
   * The cached base pass, if there is one with at least `chunks` chunks (or the whole text) that
   * fits under the cap.
   */
  find(
    baseSha256: string,
    textSha256: string,
    contextSize: number,
    chunks: number,
  ): CachedBase | null {
    const entry = this.read(this.fileFor(baseSha256, textSha256, contextSize));
    if (entry === null || entry.baseSha256 !== baseSha256 || entry.textSha256 !== textSha256) {
      return null;
    }
    // A file the cap no longer allows (it was lowered) is made again, smaller.
    if (entry.bytes + SIDECAR_BYTES > this.cap) {
      return null;
    }
    return entry.chunks >= Math.min(chunks, entry.textChunks) ? entry : null;
  }

  /**
   * How many chunks a new base file may hold: `wanted`, or fewer if the cap says so. Throws when
   * the cap cannot hold a single chunk of this vocabulary.
   */
  allowedChunks(contextSize: number, vocabSize: number, wanted: number): number {
    const fit = chunksWithinCap(contextSize, vocabSize, this.cap);
    if (fit < 1) {
      throw new AppError(
        "invalid_params",
        `The base log-probability cache is capped at ${formatBytes(this.cap)}, and one chunk of ` +
          `${contextSize} tokens needs ${formatBytes(logProbFileBytes(contextSize, vocabSize, 1))} ` +
          `for this model's ${vocabSize.toLocaleString("en")}-token vocabulary.`,
        "Raise the cache size (evaluate.cacheBytes in settings), or use a shorter context.",
      );
    }
    return Math.min(wanted, fit);
  }

  /** Deletes the least recently used files (never `keep`) until `bytes` more fit under the cap. */
  makeRoom(fileBytes: number, keep: string | null = null): void {
    const bytes = fileBytes + SIDECAR_BYTES;
    const entries = this.entries().sort((a, b) => a.usedMs - b.usedMs);
    let total = entries.reduce((sum, e) => sum + e.bytes, 0);
    for (const entry of entries) {
      if (total + bytes <= this.cap) {
        break;
      }
      if (entry.file === keep) {
        continue;
      }
      this.remove(entry.file);
      total -= entry.bytes;
    }
  }

  /** Renames a finished `.partial` into place with its description. */
  async commit(partial: string, entry: CachedBase): Promise<CachedBase> {
    await rename(partial, entry.path);
    await writeFile(sidecarOf(entry.path), `${JSON.stringify(entry, null, 2)}\n`);
    return entry;
  }

  /** Marks a file as just used (eviction goes by last use). */
  async touch(entry: CachedBase): Promise<void> {
    const now = new Date();
    await utimes(sidecarOf(entry.path), now, now).catch(() => undefined);
  }

  stats(): { bytes: number; files: number } {
    const entries = this.entries();
    return { bytes: entries.reduce((sum, e) => sum + e.bytes, 0), files: entries.length };
  }

  clear(): { bytes: number; files: number } {
    const before = this.stats();
    for (const entry of this.entries()) {
      this.remove(entry.file);
    }
    return before;
  }

  private entries(): Array<{ file: string; bytes: number; usedMs: number }> {
    return readdirSync(this.folder)
      .filter((name) => name.endsWith(".logprobs"))
      .map((name) => {
        const file = path.join(this.folder, name);
        const sidecar = sidecarOf(file);
        const bytes = statSync(file).size + (existsSync(sidecar) ? statSync(sidecar).size : 0);
        const usedMs = existsSync(sidecar) ? statSync(sidecar).mtimeMs : 0;
        return { file, bytes, usedMs };
      });
  }

  private read(file: string): CachedBase | null {
    if (!existsSync(file)) {
      return null;
    }
    try {
      const entry = JSON.parse(readFileSync(sidecarOf(file), "utf8")) as CachedBase;
      return statSync(file).size === entry.bytes ? { ...entry, path: file } : null;
    } catch {
      return null;
    }
  }

  private remove(file: string): void {
    rmSync(file, { force: true });
    rmSync(sidecarOf(file), { force: true });
  }
}

function sidecarOf(file: string): string {
  return file.replace(/\.logprobs$/, ".json");
}
