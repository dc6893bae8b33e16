import type { Token } from "node-llama-cpp";
import { AppError } from "../../contract/index.js";
import type { JobContext } from "../../rpc/server.js";
import { renderPrompt, renderText, turnEnds, type RenderedPrompt } from "./chatLayout.js";
import { runGeneration } from "./generationLoop.js";
import type { LiveContext } from "./liveContext.js";
import type { MemoryMonitor } from "./memoryMonitor.js";
import { TextBatcher } from "./textBatcher.js";
import type { GenerateParams, GenerationStats } from "./workerContract.js";
import type { LoadedModel } from "./workerState.js";

/**
 * Tokens a laid-out conversation may take. Without eviction a quarter of the context stays free
 * for the reply; with it there is no limit (the cache keeps the sinks and the recent window).
 */
export function layoutBudget(policy: "none" | "window", contextSize: number): number {
  return policy === "window"
    ? Number.POSITIVE_INFINITY
    : contextSize - 1 - Math.floor(contextSize / 4);
}

/** The recent window for a prompt whose sinks may be longer than configured (a system prompt). */
export function windowFor(live: LiveContext, sinks: number): number {
  const room = live.contextSize - 2 - sinks;
  if (live.active.evict.policy === "window" && room < 16) {
    throw new AppError(
      "invalid_params",
      `The system prompt (${sinks} tokens) leaves no room for a recent window in a context of ` +
        `${live.contextSize} tokens.`,
      "Shorten the system prompt or raise the context size.",
    );
  }
  return Math.max(1, Math.min(live.active.windowTokens, room));
}

export function promptSinks(live: LiveContext, rendered: Pick<RenderedPrompt, "systemTokens">) {
  return Math.max(live.options.kv.evict.sinks, rendered.systemTokens);
}

export async function generate(
  loaded: LoadedModel,
  memory: MemoryMonitor,
  params: Required<GenerateParams>,
  ctx: JobContext<{ text: string }>,
): Promise<GenerationStats & { text: string }> {
  const { live, model, wrapper } = loaded;
  const budget = layoutBudget(live.active.evict.policy, live.contextSize);
  const input = params.input;
  let rendered: RenderedPrompt;
  if (input.kind === "chat") {
    rendered = renderPrompt(model, wrapper, input, { forReply: true, budget });
  } else {
    const tokens = renderText(model, input.prompt);
    rendered = {
      // A raw prompt longer than the context keeps its start-of-text token and its end.
      tokens: tokens.length > budget ? [tokens[0]!, ...tokens.slice(-(budget - 1))] : tokens,
      stopTexts: [],
      stopTokens: new Set<Token>(),
      systemTokens: 1,
      droppedMessages: 0,
    };
  }
  const sinks = promptSinks(live, rendered);
  const window = windowFor(live, sinks);
  const plan = live.plan(rendered.tokens, sinks, window);
  await live.applyPlan(plan, window);
  const stop = AbortSignal.any([ctx.signal, ctx.disconnected]);
  const text = new TextBatcher((chunk) => ctx.progress({ text: chunk }));
  memory.startLive();
  let result;
  try {
    result = await runGeneration({
      live,
      feed: plan.feed,
      sampling: params.sampling,
      stopTexts: [...rendered.stopTexts, ...params.stop],
      stopTokens: rendered.stopTokens,
      signal: stop,
      onText: (chunk) => text.push(chunk),
      onTick: (tokens, tps) => memory.tick(tokens, tps),
    });
  } finally {
    text.flush();
    await memory.stopLive();
  }
  const evictedTokens = live.evicted.length;
  let droppedMessages = rendered.droppedMessages;
  if (evictedTokens > 0 && input.kind === "chat") {
    droppedMessages = evictedMessages(turnEnds(model, wrapper, input, rendered.tokens), live);
  }
  return {
    ...result,
    cachedTokens: plan.cachedTokens,
    droppedMessages,
    evictedTokens,
    kv: `${live.active.k}/${live.active.v}`,
  };
}

/** Messages whose tokens after the sinks were all evicted: the model no longer sees them. */
function evictedMessages(ends: readonly number[], live: LiveContext): number {
  const from = live.sinks;
  const to = live.sinks + live.evicted.length;
  return ends.filter((end) => end > from && end <= to).length;
}
