import {
  LlamaText,
  SpecialToken,
  type ChatHistoryItem,
  type ChatWrapper,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import { AppError } from "../../contract/index.js";
import type { ChatTurn } from "./workerContract.js";

/** A conversation as the model sees it: the system prompt, then user and assistant turns. */
export interface Conversation {
  system: string | null;
  turns: readonly ChatTurn[];
}

export interface RenderedPrompt {
  tokens: Token[];
  /** Text that ends a reply (the chat format's end-of-turn markers that are plain text). */
  stopTexts: string[];
  /** Tokens that end a reply besides the model's own end-of-generation tokens. */
  stopTokens: Set<Token>;
  /** Leading tokens that hold the start-of-text and the system prompt: never evicted. */
  systemTokens: number;
  /** Messages left out at the start so the rest fits (the system prompt always stays). */
  droppedMessages: number;
}

export interface LayoutOptions {
  /** End with an open assistant turn, ready for the reply. */
  forReply: boolean;
  /** Tokens the prompt may take; older messages are left out beyond it. Infinity: no limit. */
  budget: number;
  /**
   * When even the last message does not fit: "error" says so (a reply needs all of it);
   * "truncate" keeps the system prompt and the end of the message (re-reading a conversation
   * whose last reply filled the context must not fail). Defaults to "error".
   */
  overflow?: "error" | "truncate";
}

/**
 * Lays a conversation out with the model's chat format (or as plain text for base models) and
 * tokenizes it. When it does not fit the budget, whole messages are left out from the start,
 * a user turn together with its reply, and the system prompt always stays.
 */
export function renderPrompt(
  model: LlamaModel,
  wrapper: ChatWrapper,
  conversation: Conversation,
  options: LayoutOptions,
): RenderedPrompt {
  let dropped = 0;
  const turns = conversation.turns;
  for (;;) {
    const kept = turns.slice(dropped);
    const rendered = render(model, wrapper, conversation.system, kept, options.forReply);
    if (rendered.tokens.length <= options.budget) {
      return { ...rendered, droppedMessages: dropped };
    }
    // Keep at least the last message; drop a user turn with the reply that follows it.
    const next = dropped + (turns[dropped]?.role === "user" && turns[dropped + 1] ? 2 : 1);
    if (next >= turns.length && options.overflow === "truncate") {
      const head = rendered.tokens.slice(0, rendered.systemTokens);
      const room = Math.max(0, Math.floor(options.budget) - head.length);
      const tail = room === 0 ? [] : rendered.tokens.slice(-room);
      return { ...rendered, tokens: [...head, ...tail], droppedMessages: dropped };
    }
    if (next >= turns.length) {
      const system = conversation.system === null ? "" : " with the system prompt";
      throw new AppError(
        "invalid_params",
        `The last message${system} takes ${rendered.tokens.length} tokens, more than the ` +
          `context leaves for it (${Math.max(0, Math.floor(options.budget))}).`,
        "Shorten the message or the system prompt, or raise the context size in the KV panel.",
      );
    }
    dropped = next;
  }
}

function render(
  model: LlamaModel,
  wrapper: ChatWrapper,
  system: string | null,
  turns: readonly ChatTurn[],
  forReply: boolean,
): Omit<RenderedPrompt, "droppedMessages"> {
  const history = toHistory(system, turns);
  if (forReply) {
    history.push({ type: "model", response: [] });
  }
  const state = wrapper.generateContextState({ chatHistory: history });
  const tokens = state.contextText.tokenize(model.tokenizer);
  const stopTexts: string[] = [];
  const stopTokens = new Set<Token>();
  for (const trigger of state.stopGenerationTriggers) {
    const text = LlamaText(trigger);
    if (text.values.every((value) => typeof value === "string")) {
      stopTexts.push(text.toString());
    }
    const triggerTokens = text.tokenize(model.tokenizer);
    if (triggerTokens.length === 1 && model.isSpecialToken(triggerTokens[0])) {
      stopTokens.add(triggerTokens[0]!);
    }
  }
  let systemTokens = 0;
  if (system !== null && system !== "") {
    const head = wrapper.generateContextState({ chatHistory: toHistory(system, []) });
    systemTokens = commonPrefix(head.contextText.tokenize(model.tokenizer), tokens);
  } else if (tokens[0] !== undefined && tokens[0] === model.tokens.bos) {
    systemTokens = 1;
  }
  return { tokens, stopTexts: stopTexts.filter((s) => s !== ""), stopTokens, systemTokens };
}

function toHistory(system: string | null, turns: readonly ChatTurn[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  if (system !== null && system !== "") {
    history.push({ type: "system", text: LlamaText(system).toJSON() });
  }
  for (const turn of turns) {
    history.push(
      turn.role === "user"
        ? { type: "user", text: turn.content }
        : { type: "model", response: [turn.content] },
    );
  }
  return history;
}

/** A raw text prompt (the completions API): start-of-text, then the text as it is. */
export function renderText(model: LlamaModel, prompt: string): Token[] {
  return LlamaText([new SpecialToken("BOS"), prompt]).tokenize(model.tokenizer);
}

/**
 * Token offsets where each turn ends in the laid-out prompt, for telling which messages an
 * eviction removed. Renders growing prefixes of the conversation; only used after an eviction.
 */
export function turnEnds(
  model: LlamaModel,
  wrapper: ChatWrapper,
  conversation: Conversation,
  full: readonly Token[],
): number[] {
  const ends: number[] = [];
  for (let i = 1; i <= conversation.turns.length; i++) {
    const prefix = render(
      model,
      wrapper,
      conversation.system,
      conversation.turns.slice(0, i),
      false,
    );
    ends.push(commonPrefix(prefix.tokens, full));
  }
  return ends;
}

export function commonPrefix(a: readonly Token[], b: readonly Token[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) {
    i++;
  }
  return i;
}
