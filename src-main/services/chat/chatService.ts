import { randomUUID } from "node:crypto";
import type { Database } from "better-sqlite3";
import {
  AppError,
  type Conversation,
  type GenerationProgress,
  type Message,
  type MessageStats,
  type SearchHit,
  type Settings,
} from "../../contract/index.js";
import type { LibraryService } from "../library/libraryService.js";
import type { ModelRuntime } from "../runtime/modelRuntime.js";
import type { ConversationInput, Sampling } from "../runtime/workerContract.js";
import type { SettingsService } from "../settings/settingsService.js";
import {
  deleteConversation,
  deleteMessage,
  deleteMessagesAfter,
  getConversation,
  insertConversation,
  insertMessage,
  listConversations,
  listMessages,
  searchConversations,
  setSystemPrompt,
  updateConversation,
  updateMessageContent,
} from "../storage/queries/conversations.js";
import { exportConversation, type ExportedConversation } from "./exportConversation.js";
import { snippetAround } from "./searchSnippet.js";

export const NEW_CHAT_TITLE = "New chat";

export interface GenerationContext {
  signal: AbortSignal;
  progress(packet: GenerationProgress): void;
}

/** The sampling settings a reply uses. */
export function samplingFrom(settings: Settings): Sampling {
  return {
    maxTokens: settings["chat.maxTokens"],
    temperature: settings["chat.temperature"],
    topP: settings["chat.topP"],
    topK: settings["chat.topK"],
    minP: settings["chat.minP"],
    repeatPenalty: settings["chat.repeatPenalty"],
    seed: settings["chat.seed"],
  };
}

/**
 * Conversations and replies. Every message is written to SQLite before anything can fail after
 * it: the user's message before generation starts, the reply (even a stopped, partial one) when
 * it ends, so a crash or a closed window loses nothing the user wrote.
 */
export class ChatService {
  constructor(
    private readonly db: Database,
    private readonly library: LibraryService,
    private readonly runtime: ModelRuntime,
    private readonly settings: SettingsService,
    private readonly now: () => string = () => new Date().toISOString(),
  ) {}

  list(): Conversation[] {
    return listConversations(this.db);
  }

  get(id: string): { conversation: Conversation; messages: Message[] } {
    return { conversation: this.require(id), messages: listMessages(this.db, id) };
  }

  create(values: {
    modelId?: string | null | undefined;
    title?: string | undefined;
    systemPrompt?: string | undefined;
  }): Conversation {
    const id = randomUUID();
    const modelId = values.modelId ?? this.settings.get()["library.selectedModelId"];
    if (modelId !== null && modelId !== undefined) {
      this.library.get(modelId);
    }
    insertConversation(this.db, {
      id,
      title: values.title?.trim() || NEW_CHAT_TITLE,
      modelId: modelId ?? null,
      systemPrompt: values.systemPrompt ?? this.settings.get()["chat.systemPrompt"],
      now: this.now(),
    });
    return this.require(id);
  }

  rename(id: string, title: string): Conversation {
    this.require(id);
    updateConversation(this.db, id, { title, now: this.now() });
    return this.require(id);
  }

  setSystemPrompt(id: string, systemPrompt: string): Conversation {
    this.require(id);
    setSystemPrompt(this.db, id, systemPrompt, this.now());
    return this.require(id);
  }

  remove(id: string): boolean {
    return deleteConversation(this.db, id);
  }

  search(query: string): SearchHit[] {
    const q = query.trim();
    return searchConversations(this.db, q).map((match) => ({
      conversation: this.require(match.conversationId),
      snippet: match.content === null ? "title" : snippetAround(match.content, q),
      matches: match.matches,
    }));
  }

  export(id: string, format: "markdown" | "json"): ExportedConversation {
    const { conversation, messages } = this.get(id);
    const names = new Map(this.library.list().map((m) => [m.id, m.name]));
    return exportConversation(conversation, messages, format, names);
  }

  /** The conversation as the model reads it, straight from the database. */
  input(id: string): ConversationInput {
    const { conversation, messages } = this.get(id);
    return {
      system: conversation.systemPrompt === "" ? null : conversation.systemPrompt,
      turns: messages.map((m) => ({ role: m.role, content: m.content })),
    };
  }

  async send(conversationId: string, text: string, ctx: GenerationContext) {
    const conversation = this.require(conversationId);
    const model = this.modelFor(conversation);
    this.ensureIdle();
    const userMessage: Message = {
      id: randomUUID(),
      conversationId,
      role: "user",
      content: text,
      createdAt: this.now(),
      modelId: null,
      stats: null,
    };
    this.db.transaction(() => {
      insertMessage(this.db, userMessage);
      const title = conversation.title === NEW_CHAT_TITLE ? titleFrom(text) : undefined;
      updateConversation(this.db, conversationId, { title, modelId: model.id, now: this.now() });
    })();
    ctx.progress({ type: "started", userMessage });
    const assistantMessage = await this.reply(conversationId, model.id, ctx);
    return { userMessage, assistantMessage };
  }

  async regenerate(conversationId: string, ctx: GenerationContext) {
    const conversation = this.require(conversationId);
    const model = this.modelFor(conversation);
    this.ensureIdle();
    const messages = listMessages(this.db, conversationId);
    const last = messages.at(-1);
    if (last === undefined) {
      throw new AppError("not_found", "This conversation has no message to answer yet.");
    }
    if (last.role === "assistant") {
      deleteMessage(this.db, last.id);
    }
    const userMessage = [...messages].reverse().find((m) => m.role === "user");
    if (userMessage === undefined) {
      throw new AppError("not_found", "This conversation has no message to answer yet.");
    }
    updateConversation(this.db, conversationId, { modelId: model.id, now: this.now() });
    ctx.progress({ type: "started", userMessage: null });
    const assistantMessage = await this.reply(conversationId, model.id, ctx);
    return { userMessage, assistantMessage };
  }

  /** Edit and resend: the user's message gets the new text, what followed it goes, a reply comes. */
  async edit(conversationId: string, messageId: string, text: string, ctx: GenerationContext) {
    const conversation = this.require(conversationId);
    const model = this.modelFor(conversation);
    this.ensureIdle();
    const message = listMessages(this.db, conversationId).find((m) => m.id === messageId);
    if (message === undefined) {
      throw new AppError("not_found", `No message with id ${messageId} in this conversation.`);
    }
    if (message.role !== "user") {
      throw new AppError(
        "invalid_params",
        "Only your own messages can be edited.",
        "Use Regenerate for a new reply.",
      );
    }
    this.db.transaction(() => {
      updateMessageContent(this.db, messageId, text);
      deleteMessagesAfter(this.db, conversationId, messageId);
      updateConversation(this.db, conversationId, { modelId: model.id, now: this.now() });
    })();
    const userMessage: Message = { ...message, content: text };
    ctx.progress({ type: "started", userMessage });
    const assistantMessage = await this.reply(conversationId, model.id, ctx);
    return { userMessage, assistantMessage };
  }

  private async reply(
    conversationId: string,
    modelId: string,
    ctx: GenerationContext,
  ): Promise<Message> {
    const model = this.library.get(modelId);
    const settings = this.settings.get();
    const request = await this.library.prepareLoad(model, settings);
    if (!this.runtime.isLoaded(request)) {
      await this.runtime.load(request, {
        signal: ctx.signal,
        onProgress: (fraction) => ctx.progress({ type: "loading", fraction }),
      });
    }
    const result = await this.runtime.generate(
      { input: { kind: "chat", ...this.input(conversationId) }, sampling: samplingFrom(settings) },
      { onText: (text) => ctx.progress({ type: "token", text }), signal: ctx.signal },
    );
    const stats: MessageStats = {
      promptTokens: result.promptTokens,
      tokens: result.tokens,
      promptTps: result.promptTps,
      decodeTps: result.decodeTps,
      stopReason: result.stopReason,
      cachedTokens: result.cachedTokens,
      droppedMessages: result.droppedMessages,
      evictedTokens: result.evictedTokens,
      kv: result.kv,
    };
    const assistantMessage: Message = {
      id: randomUUID(),
      conversationId,
      role: "assistant",
      content: result.text,
      createdAt: this.now(),
      modelId,
      stats,
    };
    this.db.transaction(() => {
      insertMessage(this.db, assistantMessage);
      updateConversation(this.db, conversationId, { now: this.now() });
    })();
    return assistantMessage;
  }

  /**
   * The model that answers next: the one selected in the Library (as in LM Studio, the model is
   * the app's, not the conversation's), else the conversation's last one, else any. Each reply
   * records which model wrote it, so switching models mid-conversation stays visible.
   */
  private modelFor(conversation: Conversation) {
    const selected = this.settings.get()["library.selectedModelId"];
    const id =
      [selected, conversation.modelId].find(
        (candidate) => candidate !== null && this.library.has(candidate),
      ) ?? this.library.list()[0]?.id;
    if (id === undefined || id === null) {
      throw new AppError(
        "no_model_loaded",
        "There is no model to chat with.",
        "Import a GGUF model in the Library.",
      );
    }
    return this.library.get(id);
  }

  private ensureIdle(): void {
    const status = this.runtime.state.get().status;
    if (status === "generating") {
      throw new AppError(
        "busy",
        "A reply is being generated.",
        "Stop it or wait for it to finish.",
      );
    }
    if (status === "loading" && this.runtime.current !== null) {
      throw new AppError(
        "busy",
        "The KV cache is being rebuilt.",
        "Wait a moment until the conversation is read back in.",
      );
    }
  }

  private require(id: string): Conversation {
    const conversation = getConversation(this.db, id);
    if (conversation === undefined) {
      throw new AppError("not_found", `No conversation with id ${id}.`);
    }
    return conversation;
  }
}

function titleFrom(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > 60 ? `${line.slice(0, 57).trimEnd()}…` : line || NEW_CHAT_TITLE;
}
