/**
 * How to get a prompt into a sequence that already holds an earlier one, reusing what matches.
 *
 * With eviction (attention sinks + recent window) the cache holds the first `sinks` tokens and
 * then a recent stretch; the tokens evicted in between are remembered in order, so the cache is
 * always `full[0:sinks] ++ full[sinks + evicted:]` of one conceptual token list `full`.
 */
export interface CacheView<T extends number = number> {
  /** The tokens in the cache now (the sequence's context tokens). */
  cache: readonly T[];
  /** Tokens evicted after the sinks, oldest first. */
  evicted: readonly T[];
  /** Leading tokens that eviction keeps. */
  sinks: number;
}

export interface PlanInput<T extends number = number> extends CacheView<T> {
  prompt: readonly T[];
  /** Sinks for this prompt: the configured count, or the system prompt's length if longer. */
  promptSinks: number;
  contextSize: number;
  policy: "none" | "window";
  window: number;
}

export interface PromptPlan<T extends number = number> {
  /** Keep this many cache tokens; erase the rest. */
  keep: number;
  /** Then evaluate these. */
  feed: T[];
  /** The evicted tokens afterwards (replaces the record). */
  evicted: T[];
  sinks: number;
  /** Prompt tokens that were already in the cache. */
  cachedTokens: number;
}

export function fullTokens<T extends number>(view: CacheView<T>): T[] {
  return [...view.cache.slice(0, view.sinks), ...view.evicted, ...view.cache.slice(view.sinks)];
}

export function planPrompt<T extends number>(input: PlanInput<T>): PromptPlan<T> {
  const { prompt } = input;
  const full = fullTokens(input);
  const evictedCount = input.evicted.length;
  // At least one prompt token must be evaluated to get the next token's distribution.
  const common = Math.min(commonPrefix(full, prompt), Math.max(0, prompt.length - 1));
  let keep: number;
  let evicted: T[];
  let sinks: number;
  if (evictedCount === 0 || common >= input.sinks + evictedCount) {
    keep = common - evictedCount;
    evicted = [...input.evicted];
    sinks = evictedCount === 0 ? input.promptSinks : input.sinks;
  } else {
    // The prompt differs inside the evicted stretch: only the sinks can be reused.
    keep = Math.min(common, input.sinks);
    evicted = [];
    sinks = input.promptSinks;
  }
  let feed = prompt.slice(evicted.length + keep);
  const cachedTokens = keep;
  const overflow = keep + feed.length > input.contextSize - 1;
  if (input.policy === "window" && overflow && feed.length > input.window) {
    // Evicting now is what the shift would do while evaluating, without evaluating tokens
    // only to throw them away: keep the sinks, then the last `window` tokens of the prompt.
    const tail = Math.max(sinks, prompt.length - input.window);
    keep = Math.min(keep, sinks);
    const sinkPart = prompt.slice(keep, sinks);
    feed = [...sinkPart, ...prompt.slice(tail)];
    evicted = prompt.slice(sinks, tail);
  }
  return { keep, feed, evicted, sinks, cachedTokens: Math.min(cachedTokens, keep) };
}

/** The range to erase when the cache is full: keep the sinks and the `window` newest tokens. */
export function evictionRange(
  cacheLength: number,
  sinks: number,
  window: number,
): { start: number; end: number } {
  const end = Math.max(sinks + 1, cacheLength - window);
  return { start: sinks, end: Math.min(end, cacheLength) };
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) {
    i++;
  }
  return i;
}
