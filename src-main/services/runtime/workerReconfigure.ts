import type { ControlledEvaluateInputItem, Token } from "node-llama-cpp";
import { AppError, type KvApplyProgress } from "../../contract/index.js";
import type { JobContext } from "../../rpc/server.js";
import { renderPrompt } from "./chatLayout.js";
import {
  carryRefusal,
  discardSaved,
  loadConverted,
  saveCache,
  type SavedCache,
} from "./kvCarry.js";
import { LiveContext } from "./liveContext.js";
import type { MemoryMonitor } from "./memoryMonitor.js";
import { compareDistributions, topDistribution, type TopDistribution } from "./qualityProbe.js";
import type { ContextConfig, ConversationInput, ReconfigureResult } from "./workerContract.js";
import { layoutBudget, promptSinks, windowFor } from "./workerGenerate.js";
import type { LoadedModel, WorkerState } from "./workerState.js";

/** The previous cache is brought up to date for the probe only if it lacks fewer tokens. */
const MAX_CATCH_UP = 1024;
/** Distributions kept at once stay under ~2 M entries (≈ 32 positions for an 8k vocabulary). */
const PROBE_ENTRIES = 2_000_000;

/**
 * Live KV change: rebuilds the context with the new settings and brings the conversation over.
 * When only the K/V types or flash attention change, the old cache is saved, converted to the
 * new types and loaded (kvCarry.ts), so nothing is read again; otherwise, or if that fails, the
 * conversation is re-ingested. Before the old context goes, its next-token distributions on the
 * conversation's last tokens are kept; the new context computes the same ones (its last tokens
 * evaluated again), and the two are compared. If the new context cannot be built, the old
 * settings are restored and the error says why.
 */
export async function reconfigure(
  state: WorkerState,
  loaded: LoadedModel,
  memory: MemoryMonitor,
  params: ContextConfig & { conversation: ConversationInput | null },
  ctx: JobContext<KvApplyProgress>,
): Promise<ReconfigureResult> {
  const old = loaded.live;
  const before = old.active;
  ctx.progress({ phase: "rebuilding", fraction: 0, tokens: 0, totalTokens: 0 });

  // The conversation laid out for the new context size and eviction policy.
  const budget = layoutBudget(params.kv.evict.policy, params.contextSize);
  const conversation = params.conversation;
  const rendered =
    conversation === null || (conversation.turns.length === 0 && !conversation.system)
      ? null
      : renderPrompt(loaded.model, loaded.wrapper, conversation, {
          forReply: false,
          budget,
          overflow: "truncate",
        });
  const tokens = rendered?.tokens ?? [];
  const probePositions = Math.max(
    0,
    Math.min(Math.floor(PROBE_ENTRIES / Math.max(1, loaded.vocabSize)), 32, tokens.length - 2),
  );

  let previous: TopDistribution[] | null = null;
  let stateBytesBefore: number | null = null;
  if (rendered !== null && probePositions > 0 && tokens.length < old.contextSize - 1) {
    const caughtUp = await catchUp(old, tokens, promptSinks(old, rendered), probePositions);
    if (caughtUp !== null) {
      previous = caughtUp;
      stateBytesBefore = old.context.stateSize;
    }
  }

  // Save the cache while it exists; whether it can be used is known once the new context is.
  let carrySeconds = 0;
  let methodReason = rendered === null ? null : carryRefusal(old, params, loaded.geometry);
  let saved: SavedCache | null = null;
  if (rendered !== null && methodReason === null) {
    try {
      const saveStarted = performance.now();
      saved = await saveCache(old);
      carrySeconds = (performance.now() - saveStarted) / 1000;
    } catch (error) {
      methodReason = `saving the cache failed: ${(error as Error).message}`;
    }
  }

  await old.dispose();
  let live: LiveContext;
  try {
    live = await LiveContext.create(
      loaded.model,
      loaded.geometry,
      { ...old.options, contextSize: params.contextSize, kv: params.kv },
      state.log,
    );
  } catch (error) {
    if (saved !== null) {
      await discardSaved(saved);
    }
    loaded.live = await LiveContext.create(loaded.model, loaded.geometry, old.options, state.log);
    await memory.refresh();
    throw new AppError(
      "unsupported",
      `llama.cpp could not build a context with K ${params.kv.k}, V ${params.kv.v} and flash ` +
        `attention ${params.kv.flashAttention}: ${(error as Error).message}`,
      "The previous KV settings are back in use.",
    );
  }
  loaded.live = live;

  // Timed from here: bringing the conversation over (with saving the cache, when converted).
  const ingestStarted = performance.now();
  let converted = false;
  if (saved !== null) {
    ctx.progress({ phase: "converting", fraction: 0, tokens: 0, totalTokens: saved.tokens });
    try {
      await loadConverted(live, saved, loaded.geometry!);
      converted = true;
    } catch (error) {
      methodReason = `the cache could not be converted: ${(error as Error).message}`;
      process.stderr.write(`[kv] ${methodReason}; reading the conversation again\n`);
      // A refused load may leave part of a cache behind: start again from an empty context.
      await live.dispose();
      live = await LiveContext.create(loaded.model, loaded.geometry, live.options, state.log);
      loaded.live = live;
    } finally {
      await discardSaved(saved);
    }
  }
  await memory.refresh();

  let probe = null;
  if (rendered !== null) {
    const sinks = promptSinks(live, rendered);
    const window = windowFor(live, sinks);
    let plan = live.plan(tokens, sinks, window);
    let feed = plan.feed;
    if (converted && previous !== null) {
      // The probe needs the last tokens evaluated under the new cache: take them out of it.
      const fromCache = Math.max(0, Math.min(probePositions, tokens.length) - feed.length);
      const keep = Math.max(0, plan.keep - fromCache);
      feed = [...live.sequence.contextTokens.slice(keep, plan.keep), ...feed];
      plan = { ...plan, keep };
    }
    await live.applyPlan(plan, window);
    const total = feed.length;
    const tail = previous === null ? 0 : Math.min(probePositions, total);
    const report = (done: number, phase: KvApplyProgress["phase"] = "ingesting") =>
      ctx.progress({
        phase,
        fraction: total === 0 ? 1 : done / total,
        tokens: done,
        totalTokens: total,
      });
    report(0);
    await live.ingest(feed.slice(0, total - tail), report, ctx.signal);
    if (previous !== null && tail > 0) {
      report(total - tail, "probing");
      const next = await distributionsOf(live, feed.slice(total - tail));
      probe = compareDistributions(previous.slice(-tail), next);
    }
    report(total);
  }
  await memory.refresh();
  return {
    before,
    after: live.active,
    tokens: tokens.length,
    stateBytesBefore,
    stateBytesAfter: live.context.stateSize,
    ingestSeconds: (converted ? carrySeconds : 0) + (performance.now() - ingestStarted) / 1000,
    method: rendered === null ? null : converted ? "converted" : "reread",
    methodReason: converted ? null : methodReason,
    probe,
  };
}

/**
 * Brings the previous cache up to `tokens` with its last `positions` tokens evaluated again,
 * keeping their next-token distributions. Null when that would cost too much.
 */
async function catchUp(
  live: LiveContext,
  tokens: readonly Token[],
  sinks: number,
  positions: number,
): Promise<TopDistribution[] | null> {
  const window = windowFor(live, sinks);
  const plan = live.plan(tokens, sinks, window);
  if (plan.feed.length > MAX_CATCH_UP) {
    return null;
  }
  // Re-evaluate at least the last `positions` tokens: erase them from the cache if it has them.
  const fromCache = Math.max(0, positions - plan.feed.length);
  const keep = Math.max(0, plan.keep - fromCache);
  const cacheTail = live.sequence.contextTokens.slice(keep, plan.keep);
  await live.applyPlan({ ...plan, keep }, window);
  const feed = [...cacheTail, ...plan.feed];
  await live.ingest(feed.slice(0, feed.length - positions), () => undefined);
  const maps = await distributionsOf(live, feed.slice(feed.length - positions));
  return maps.map((map) => topDistribution(map));
}

/** Evaluates `tokens`, returning the full next-token distribution after each. */
async function distributionsOf(
  live: LiveContext,
  tokens: readonly Token[],
): Promise<Array<Map<Token, number>>> {
  const input: ControlledEvaluateInputItem[] = tokens.map((token) => [
    token,
    { generateNext: { probabilities: true } },
  ]);
  const results = await live.sequence.controlledEvaluate(input);
  return tokens.map((_, i) => results[i]?.next?.probabilities ?? new Map<Token, number>());
}
