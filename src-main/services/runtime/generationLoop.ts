import { randomInt } from "node:crypto";
import type { LlamaModel, SequenceEvaluateOptions, Token } from "node-llama-cpp";
import type { StopReason } from "../../contract/index.js";
import type { LiveContext } from "./liveContext.js";
import { StopDetector } from "./stopDetector.js";
import type { Sampling } from "./workerContract.js";

export interface LoopInput {
  live: LiveContext;
  /** Tokens to evaluate before the first new one (what the cache does not hold yet). */
  feed: Token[];
  sampling: Sampling;
  stopTexts: readonly string[];
  stopTokens: ReadonlySet<Token>;
  signal: AbortSignal;
  onText: (text: string) => void;
  /** Called after every token with the count so far and the decode rate. */
  onTick?: (tokens: number, decodeTps: number) => void;
}

export interface LoopResult {
  text: string;
  promptTokens: number;
  tokens: number;
  promptTps: number;
  decodeTps: number;
  stopReason: StopReason;
}

/** Repeat penalty looks back this many generated tokens (llama.cpp's default). */
const PENALTY_WINDOW = 64;
/** A character split over tokens ends in U+FFFD until its last byte arrives. */
const PARTIAL_CHARACTER = "\uFFFD";

/**
 * Generates one reply on a sequence: samples with the user's settings, streams text that is
 * safe to show (no half characters, no half stop strings), and stops on an end-of-turn token, a
 * stop string, the token limit, the user, or a full context when eviction is off.
 */
export async function runGeneration(input: LoopInput): Promise<LoopResult> {
  const { live, sampling } = input;
  const model = live.model;
  const sequence = live.sequence;
  const stopper = new StopDetector(input.stopTexts);
  const generated: Token[] = [];
  const partial: Token[] = [];
  // The tokens before the ones being turned into text: detokenizers need them for spacing.
  let before: Token[] = [...sequence.contextTokens, ...input.feed].slice(-8);
  const evaluateOptions: SequenceEvaluateOptions = {
    temperature: sampling.temperature,
    topK: sampling.topK,
    topP: sampling.topP,
    minP: sampling.minP,
    // node-llama-cpp seeds from the current second: two replies within a second would repeat.
    seed: sampling.seed ?? randomInt(0, 2 ** 31 - 1),
    yieldEogToken: true,
    ...(sampling.repeatPenalty > 1
      ? {
          repeatPenalty: {
            punishTokens: () => punishable(model, generated),
            maxPunishTokens: PENALTY_WINDOW,
            penalty: sampling.repeatPenalty,
          },
        }
      : {}),
  };
  const started = performance.now();
  let firstTokenAt: number | null = null;
  let stopReason: StopReason = "eos";
  const emit = (text: string): void => {
    if (text !== "") {
      input.onText(text);
    }
  };
  const iterator = sequence.evaluate(input.feed, evaluateOptions);
  for await (const token of iterator) {
    firstTokenAt ??= performance.now();
    if (model.isEogToken(token) || input.stopTokens.has(token)) {
      stopReason = "eos";
      break;
    }
    generated.push(token);
    partial.push(token);
    const text = model.detokenize(partial, false, before);
    if (!text.endsWith(PARTIAL_CHARACTER) || partial.length >= 4) {
      before = [...before, ...partial].slice(-8);
      partial.length = 0;
      emit(stopper.push(text));
    }
    const elapsed = (performance.now() - firstTokenAt) / 1000;
    input.onTick?.(generated.length, elapsed > 0 ? (generated.length - 1) / elapsed : 0);
    if (stopper.stopped) {
      stopReason = "eos";
      break;
    }
    if (generated.length >= sampling.maxTokens) {
      stopReason = "maxTokens";
      break;
    }
    if (input.signal.aborted) {
      stopReason = "stopped";
      break;
    }
    if (live.active.evict.policy === "none" && sequence.nextTokenIndex >= live.contextSize - 1) {
      stopReason = "contextFull";
      break;
    }
  }
  if (partial.length > 0) {
    emit(stopper.push(model.detokenize(partial, false, before)));
  }
  emit(stopper.flush());
  const finished = performance.now();
  const first = firstTokenAt ?? finished;
  const promptSeconds = (first - started) / 1000;
  const decodeSeconds = (finished - first) / 1000;
  return {
    text: stopper.text,
    promptTokens: input.feed.length,
    tokens: generated.length,
    promptTps: promptSeconds > 0 ? input.feed.length / promptSeconds : 0,
    // The first token's time belongs to the prompt; the rest are pure decoding.
    decodeTps:
      decodeSeconds > 0 && generated.length > 1 ? (generated.length - 1) / decodeSeconds : 0,
    stopReason,
  };
}

/** The recent generated tokens, without newlines: penalizing them makes paragraphs run on. */
function punishable(model: LlamaModel, generated: readonly Token[]): Token[] {
  const newline = model.tokens.nl;
  return generated.slice(-PENALTY_WINDOW).filter((token) => token !== newline);
}
