import type { Model } from "../../contract/index.js";

/**
 * Chunks evaluated unless the caller asks for another number: 32 chunks of 512 tokens score
 * 8,160 tokens, enough for a mean KL divergence with a standard error of a few per cent, and keep
 * a sweep of several levels to minutes on a laptop. llama.cpp's published tables use a whole
 * corpus (`--chunks` raises it here).
 */
export const DEFAULT_CHUNKS = 32;

/** llama-perplexity's default context. */
export const DEFAULT_CONTEXT = 512;

/** Tokens decoded one at a time after the text, for the decode speed (llama-bench's tg64). */
export const DECODE_TOKENS = 64;

/** llama-perplexity's default -b: four chunks of 512 per batch. */
export const EVAL_BATCH = 2048;

/**
 * The context an evaluation uses: what was asked, else 512 — never past what either model was
 * trained for, and even (half of each chunk is scored).
 */
export function evalContextSize(requested: number | undefined, ...models: Model[]): number {
  const limits = models.map((m) => m.contextLength ?? DEFAULT_CONTEXT);
  const size = requested ?? Math.min(DEFAULT_CONTEXT, ...limits);
  return Math.max(16, size - (size % 2));
}
