import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  bytesPerChunk,
  chunksWithinCap,
  LogProbCache,
  logProbFileBytes,
  type CachedBase,
} from "../../../src-main/services/evaluate/logProbCache.js";
import { makeTempDir } from "../../helpers/tempDir.js";

const temps: Array<{ cleanup(): void }> = [];
afterEach(() => temps.splice(0).forEach((t) => t.cleanup()));

function cacheWithCap(cap: number) {
  const temp = makeTempDir();
  temps.push(temp);
  const folder = path.join(temp.dir, "cache", "logprobs");
  let capBytes = cap;
  return {
    cache: new LogProbCache(folder, () => capBytes),
    folder,
    setCap: (bytes: number) => (capBytes = bytes),
  };
}

/** Writes a fake finished base pass of `chunks` chunks through the cache, as a pass would. */
async function put(cache: LogProbCache, base: string, chunks: number, ctx = 64, vocab = 512) {
  const file = cache.fileFor(base, "text", ctx);
  const bytes = logProbFileBytes(ctx, vocab, chunks);
  cache.makeRoom(bytes);
  writeFileSync(`${file}.partial`, Buffer.alloc(bytes));
  const entry: CachedBase = {
    path: file,
    baseSha256: base,
    textSha256: "text",
    contextSize: ctx,
    chunks,
    textChunks: 100,
    vocabSize: vocab,
    bytes,
    ppl: 10,
    pplError: 1,
    createdAt: "t0",
  };
  return cache.commit(`${file}.partial`, entry);
}

const folderBytes = (folder: string) =>
  readdirSync(folder).reduce((sum, name) => sum + statSync(path.join(folder, name)).size, 0);

describe("the base log-prob cache", () => {
  it("sizes files as llama-perplexity writes them", () => {
    // Starter model: 512-token chunks, 8,192-token vocabulary → 4,180,008 bytes per chunk.
    expect(bytesPerChunk(512, 8192)).toBe(512 * 4 + 255 * (8192 + 4) * 2);
    expect(logProbFileBytes(512, 8192, 16)).toBe(66_912_148);
    // An odd vocabulary is padded to an even count of values per token.
    expect(bytesPerChunk(64, 513)).toBe(64 * 4 + 31 * (514 + 4) * 2);
  });

  it("lowers the chunk count to the cap, for a 150k-token vocabulary too", () => {
    const qwen = 151_936;
    expect(chunksWithinCap(512, qwen, 2 * 2 ** 30)).toBe(27);
    expect(chunksWithinCap(512, 8192, 2 * 2 ** 30)).toBe(513);
    const { cache } = cacheWithCap(200 * 2 ** 20);
    expect(cache.allowedChunks(512, qwen, 32)).toBe(2);
    expect(cache.allowedChunks(512, 8192, 32)).toBe(32);
  });

  it("refuses, with what to do, when not even one chunk fits", () => {
    const { cache } = cacheWithCap(10 * 2 ** 20);
    expect(() => cache.allowedChunks(512, 151_936, 32)).toThrow(
      /capped at 10\.5 MB, and one chunk of 512 tokens needs 77\.5 MB for this model's 151,936-token/,
    );
  });

  it("keeps the folder under the cap, dropping the least recently used file first", async () => {
    const perFile = logProbFileBytes(64, 512, 4);
    const { cache, folder } = cacheWithCap(Math.floor(perFile * 2.5) + 3 * 4096);
    const a = await put(cache, "a", 4);
    await put(cache, "b", 4);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await cache.touch(a);
    await put(cache, "c", 4);
    expect(cache.find("a", "text", 64, 4)).not.toBeNull();
    expect(cache.find("b", "text", 64, 4)).toBeNull();
    expect(cache.find("c", "text", 64, 4)).not.toBeNull();
    expect(folderBytes(folder)).toBeLessThanOrEqual(cache.cap);
    expect(cache.stats().files).toBe(2);
  });

  it("finds a file with enough chunks, and none for another text or context", async () => {
    const { cache } = cacheWithCap(2 ** 30);
    await put(cache, "a", 8);
    expect(cache.find("a", "text", 64, 8)?.chunks).toBe(8);
    expect(cache.find("a", "text", 64, 4)?.chunks).toBe(8);
    expect(cache.find("a", "text", 64, 9)).toBeNull();
    expect(cache.find("a", "other", 64, 4)).toBeNull();
    expect(cache.find("a", "text", 128, 4)).toBeNull();
  });

  it("ignores a file whose size does not match its description, and clears itself", async () => {
    const { cache, folder } = cacheWithCap(2 ** 30);
    const entry = await put(cache, "a", 2);
    writeFileSync(entry.path, Buffer.alloc(10));
    expect(cache.find("a", "text", 64, 2)).toBeNull();
    await put(cache, "b", 2);
    expect(cache.clear().files).toBe(2);
    expect(readdirSync(folder)).toEqual([]);
  });

  it("removes partial files a dead process left behind", () => {
    const temp = makeTempDir();
    temps.push(temp);
    const folder = path.join(temp.dir, "logprobs");
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, "x.logprobs.partial"), "half");
    new LogProbCache(folder, () => 2 ** 30);
    expect(readdirSync(folder)).toEqual([]);
  });
});
