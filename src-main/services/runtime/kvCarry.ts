import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContextConfig } from "./workerContract.js";
import type { KvGeometry } from "./kvGeometry.js";
import {
  convertSeqState,
  parseSeqState,
  type KvStateTarget,
  type StoredStream,
} from "./kvStateFile.js";
import type { LiveContext } from "./liveContext.js";

/**
 * Carrying a conversation's cache into a context with other K/V types: the old sequence's state
 * is saved, its rows rewritten in the new types (kvStateFile.ts) and loaded into the new context,
 * so the conversation is not read again. LOWBIT_KV_CONVERT=off always re-reads (benchmarks
 * compare the two); =corrupt flips the converted file's V-layout flag, so llama.cpp's loader
 * refuses it and the fallback to re-reading can be tested on the real loader.
 */
export type ConvertMode = "on" | "off" | "corrupt";

export function convertMode(env: Record<string, string | undefined> = process.env): ConvertMode {
  const mode = env.LOWBIT_KV_CONVERT;
  return mode === "off" || mode === "corrupt" ? mode : "on";
}

/** The eviction bookkeeping that goes with the cache's tokens. */
export interface CarriedBookkeeping {
  evicted: LiveContext["evicted"];
  sinks: number;
  window: number;
}

export interface SavedCache {
  dir: string;
  path: string;
  tokens: number;
  bookkeeping: CarriedBookkeeping;
}

/** Why the cache cannot be carried into a context with `next`'s settings, or null if it can. */
export function carryRefusal(
  old: LiveContext,
  next: ContextConfig,
  geometry: KvGeometry | null,
  mode: ConvertMode = convertMode(),
): string | null {
  if (mode === "off") {
    return "conversion is turned off (LOWBIT_KV_CONVERT=off)";
  }
  if (geometry === null) {
    return "the model's KV geometry is unknown";
  }
  if (next.contextSize !== old.options.contextSize) {
    return "the context size changed";
  }
  if (JSON.stringify(next.kv.evict) !== JSON.stringify(old.options.kv.evict)) {
    return "the eviction settings changed";
  }
  if (old.sequence.nextTokenIndex === 0) {
    return "the cache was empty";
  }
  return null;
}

/** Saves the old context's sequence (before it is disposed) with its eviction bookkeeping. */
export async function saveCache(old: LiveContext): Promise<SavedCache> {
  const dir = await mkdtemp(join(tmpdir(), "lowbit-kv-"));
  try {
    const path = join(dir, "sequence.bin");
    await old.sequence.saveStateToFile(path);
    return {
      dir,
      path,
      tokens: old.sequence.nextTokenIndex,
      bookkeeping: { evicted: [...old.evicted], sinks: old.sinks, window: old.window },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Converts the saved cache to `live`'s K/V types and V layout and loads it. Throws if the file
 * cannot be converted or llama.cpp refuses it; the caller then re-reads the conversation.
 */
export async function loadConverted(
  live: LiveContext,
  saved: SavedCache,
  geometry: KvGeometry,
  mode: ConvertMode = convertMode(),
): Promise<{ convertSeconds: number }> {
  const started = performance.now();
  const source = new Uint8Array(await readFile(saved.path));
  const target: KvStateTarget = {
    k: live.active.k,
    v: live.active.v,
    vTrans: !live.active.flashAttention,
  };
  const converted = convertSeqState(source, target, {
    headDimK: geometry.headDimK,
    headDimV: geometry.headDimV,
  });
  const bytes = converted.bytes;
  // llama.cpp aborts the whole process on a state file whose sizes do not add up, so it only
  // ever gets one that reads back whole with the new context's types and V layout.
  const stream = checkConverted(bytes, target);
  if (mode === "corrupt" && stream !== null) {
    bytes[stream.metaEnd] = bytes[stream.metaEnd]! ^ 1; // the V-layout flag, refused cleanly
  }
  const path = join(saved.dir, "converted.bin");
  await writeFile(path, bytes);
  const convertSeconds = (performance.now() - started) / 1000;
  await live.sequence.loadStateFromFile(path, { acceptRisk: true });
  if (live.sequence.nextTokenIndex !== saved.tokens) {
    throw new Error(
      `llama.cpp loaded ${live.sequence.nextTokenIndex} of the cache's ${saved.tokens} tokens`,
    );
  }
  live.evicted = [...saved.bookkeeping.evicted];
  live.sinks = saved.bookkeeping.sinks;
  live.window = saved.bookkeeping.window;
  return { convertSeconds };
}

/** The first non-empty stream of a converted file, after checking it is what `target` asks. */
function checkConverted(bytes: Uint8Array, target: KvStateTarget): StoredStream | null {
  const state = parseSeqState(bytes);
  let first: StoredStream | null = null;
  for (const stream of state.streams) {
    if (stream.cells === 0) {
      continue;
    }
    first ??= stream;
    const wrong =
      stream.vTrans !== target.vTrans ||
      stream.k.some((m) => m.type !== target.k) ||
      stream.v.some((m) => m.type !== target.v);
    if (wrong) {
      throw new Error("the converted cache does not have the new context's types and layout");
    }
  }
  return first;
}

export async function discardSaved(saved: SavedCache): Promise<void> {
  await rm(saved.dir, { recursive: true, force: true });
}
