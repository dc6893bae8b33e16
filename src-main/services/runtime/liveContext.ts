import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import type { KvActive, KvSettings } from "../../contract/index.js";
import { kvBytesPerToken, paddedCells, type KvGeometry } from "./kvGeometry.js";
import { resolveWindow } from "./kvSupport.js";
import { isQuantized, nlcTypeName } from "./kvTypes.js";
import type { LlamaLog } from "./llamaLog.js";
import { evictionRange, planPrompt, type PromptPlan } from "./promptPlan.js";

export interface LiveContextOptions {
  contextSize: number;
  threads: number;
  kv: KvSettings;
  /** Skip node-llama-cpp's memory check ("load anyway"). */
  force: boolean;
}

/** Tokens per evaluation call while ingesting, so progress can be reported between calls. */
const INGEST_CHUNK = 256;

/**
 * One context with its single sequence, and the bookkeeping eviction needs: which tokens were
 * evicted after the sinks, so the next turn knows what the cache still holds.
 */
export class LiveContext {
  /** Tokens evicted after the sinks, oldest first. */
  evicted: Token[] = [];
  /** Leading tokens eviction keeps (the configured sinks, or the system prompt if longer). */
  sinks: number;
  /** Recent tokens kept when the cache is full. */
  window: number;
  readonly sequence: LlamaContextSequence;

  private constructor(
    readonly model: LlamaModel,
    readonly context: LlamaContext,
    readonly options: LiveContextOptions,
    readonly active: KvActive,
  ) {
    this.sinks = options.kv.evict.sinks;
    this.window = active.windowTokens;
    this.sequence = context.getSequence({
      contextShift: {
        size: (sequence) => Math.max(1, sequence.nextTokenIndex - this.sinks - this.window),
        strategy: ({ sequence }) => this.evict(sequence),
      },
    });
  }

  static async create(
    model: LlamaModel,
    geometry: KvGeometry | null,
    options: LiveContextOptions,
    log: LlamaLog,
  ): Promise<LiveContext> {
    const { kv } = options;
    log.flashAttention = null;
    const context = await model.createContext({
      contextSize: options.contextSize,
      threads: options.threads,
      flashAttention: kv.flashAttention === "auto" ? "auto" : kv.flashAttention === "on",
      experimentalKvCacheKeyType: nlcTypeName(kv.k),
      experimentalKvCacheValueType: nlcTypeName(kv.v),
      ignoreMemorySafetyChecks: options.force,
      failedCreationRemedy: false,
      // One sequence per context: nothing to gather into a batch, so dispatch at once instead
      // of waiting a turn of the event loop (node-llama-cpp's default), ~5–9 % faster decoding
      // of a small model (docs/benchmarks.md).
      batching: { dispatchSchedule: (dispatch) => dispatch() },
    });
    // llama.cpp prints how it resolved "auto" while building the context; the line may still be
    // on its way through node-llama-cpp's log queue.
    await new Promise((resolve) => setImmediate(resolve));
    const flashAttention =
      kv.flashAttention === "on" ||
      (kv.flashAttention === "auto" && (log.flashAttention ?? true)) ||
      isQuantized(kv.v);
    const cells = paddedCells(context.contextSize);
    const perToken = geometry === null ? 0 : kvBytesPerToken(geometry, kv.k, kv.v);
    const active: KvActive = {
      k: kv.k,
      v: kv.v,
      flashAttentionMode: kv.flashAttention,
      flashAttention,
      contextSize: context.contextSize,
      evict: kv.evict,
      windowTokens: resolveWindow(kv, context.contextSize),
      kvBytes: perToken * cells,
      kvBytesPerToken: perToken,
    };
    return new LiveContext(model, context, options, active);
  }

  get contextSize(): number {
    return this.context.contextSize;
  }

  /** K + V bytes the cached tokens fill. */
  get usedBytes(): number {
    return this.sequence.nextTokenIndex * this.active.kvBytesPerToken;
  }

  /** Plans how `prompt` gets into the cache, reusing the tokens it shares with what is there. */
  plan(prompt: readonly Token[], promptSinks: number, window: number): PromptPlan<Token> {
    return planPrompt({
      cache: this.sequence.contextTokens,
      evicted: this.evicted,
      sinks: this.sinks,
      prompt,
      promptSinks,
      contextSize: this.contextSize,
      policy: this.active.evict.policy,
      window,
    });
  }

  /** Erases what the plan does not keep and records the plan's eviction state. */
  async applyPlan(plan: PromptPlan<Token>, window: number): Promise<void> {
    if (plan.keep < this.sequence.nextTokenIndex) {
      await this.sequence.eraseContextTokenRanges([
        { start: plan.keep, end: this.sequence.nextTokenIndex },
      ]);
    }
    this.evicted = plan.evicted;
    this.sinks = plan.sinks;
    this.window = window;
  }

  /** Evaluates tokens without generating, in chunks, reporting how many are in. */
  async ingest(
    tokens: readonly Token[],
    onProgress: (done: number) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    for (let done = 0; done < tokens.length; done += INGEST_CHUNK) {
      signal?.throwIfAborted();
      await this.sequence.evaluateWithoutGeneratingNewTokens(
        tokens.slice(done, done + INGEST_CHUNK) as Token[],
      );
      onProgress(Math.min(tokens.length, done + INGEST_CHUNK));
    }
  }

  async dispose(): Promise<void> {
    this.sequence.dispose();
    await this.context.dispose();
  }

  /** The context shift: keep the sinks and the newest `window` tokens, remember the rest. */
  private evict(sequence: LlamaContextSequence) {
    const range = evictionRange(sequence.nextTokenIndex, this.sinks, this.window);
    this.evicted.push(...sequence.contextTokens.slice(range.start, range.end));
    return [range];
  }
}
