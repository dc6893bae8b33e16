/**
 * What the KV benchmarks share: a Lowbit home with a model whose context may be larger than
 * it was trained for (the starter model says 512; llama.cpp runs it at 4096 with a warning),
 * and a conversation of about N tokens written straight into the database.
 */
import { readFileSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { kvSettingsDefaults, type KvSettings, type Model } from "../src-main/contract/index.js";
import { ggufValue, rewriteGgufMetadata, writeTinyModel } from "../src-main/services/gguf/index.js";
import { openLowbit, type Lowbit } from "../src-main/services/lowbit.js";
import { insertMessage } from "../src-main/services/storage/queries/conversations.js";
import { ensureBrownData, starterModelPath } from "../tools/starter-model/index.js";

export interface Bench {
  app: Lowbit;
  home: string;
  close(): void;
}

export async function openBench(): Promise<Bench> {
  const home = mkdtempSync(path.join(os.tmpdir(), "lowbit-bench-"));
  const app = await openLowbit({ home, shell: "cli", registerStarterModel: false });
  return {
    app,
    home,
    close: () => {
      app.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The starter model with `context_length` raised to `ctx` (same weights), in the library. */
export async function starterWithContext(bench: Bench, ctx: number): Promise<Model> {
  const target = path.join(bench.home, `starter-ctx${ctx}.gguf`);
  await rewriteGgufMetadata(starterModelPath(), target, (metadata) => {
    metadata.set("llama.context_length", ggufValue.u32(ctx));
  });
  return bench.app.library.import({ path: target, link: true, name: `starter (ctx ${ctx})` });
}

/** A random-weight tiny llama (embd 256, 2 layers) trained for `ctx`, in the library. */
export async function tinyWithContext(bench: Bench, ctx: number): Promise<Model> {
  const written = await writeTinyModel({ path: path.join(bench.home, `tiny-ctx${ctx}.gguf`), ctx });
  return bench.app.library.import({ path: written.path, link: true, name: `tiny (ctx ${ctx})` });
}

/**
 * A random-weight llama of about 95 M parameters (embd 1024, 8 layers, ff 2816, F16, 190 MB):
 * five times the starter model's compute per token, to see how the per-token overhead scales.
 */
export async function midModel(bench: Bench): Promise<Model> {
  const written = await writeTinyModel({
    path: path.join(bench.home, "mid-95m.gguf"),
    embd: 1024,
    layers: 8,
    ff: 2816,
    vocab: 2048,
    ctx: 512,
  });
  return bench.app.library.import({ path: written.path, link: true, name: "random 95M" });
}

/** Plain English from the Brown corpus's evaluation split. */
export function brownText(): string {
  const { paths } = ensureBrownData();
  return readFileSync(paths.eval, "utf8");
}

/**
 * A conversation of alternating user and assistant paragraphs of Brown text, about `tokens`
 * tokens long for the model's tokenizer (checked by the caller through the re-ingest count).
 */
export function writeConversation(bench: Bench, words: number): string {
  const conversation = bench.app.chat.create({ title: "bench", systemPrompt: "" });
  const text = brownText().split(/\s+/).filter(Boolean);
  let at = 0;
  for (let i = 0; at < words; i++) {
    const chunk = text.slice(at, Math.min(words, at + 80)).join(" ");
    at += 80;
    insertMessage(bench.app.db, {
      id: `${conversation.id}-${i}`,
      conversationId: conversation.id,
      role: i % 2 === 0 ? "user" : "assistant",
      content: chunk,
      createdAt: new Date().toISOString(),
      modelId: null,
      stats: null,
    });
  }
  return conversation.id;
}

export function kvPair(k: KvSettings["k"], v: KvSettings["v"] = k): KvSettings {
  return { ...kvSettingsDefaults, k, v, flashAttention: "on" };
}

export function fmt(n: number, digits = 1): string {
  return n.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}
