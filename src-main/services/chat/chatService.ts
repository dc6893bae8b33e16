import { randomUUID } from "node:crypto";
import type { Database } from "better-sqlite3";
import {
  AppError,
  type Conversation,
  type GenerationProgress,
  type Message,
  type MessageStats,
} from "../../contract/index.js";
import type { LibraryService } from "../library/libraryService.js";
import type { ModelRuntime } from "../runtime/modelRuntime.js";
import type { SettingsService } from "../settings/settingsService.js";
import {
  deleteConversation,
  deleteMessage,
  getConversation,
  insertConversation,
  insertMessage,
  listConversations,
  listMessages,
  updateConversation,
} from "../storage/queries/conversations.js";

export const NEW_CHAT_TITLE = "New chat";

export interface GenerationContext {
  signal: AbortSignal;
  progress(packet: GenerationProgress): void;
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
      now: this.now(),
    });
    return this.require(id);
  }

  rename(id: string, title: string): Conversation {
    this.require(id);
    updateConversation(this.db, id, { title, now: this.now() });
    return this.require(id);
  }

  remove(id: string): boolean {
    return deleteConversation(this.db, id);
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
    const turns = listMessages(this.db, conversationId).map((m) => ({
      role: m.role,
      content: m.content,
    }));
    const result = await this.runtime.generate(
      {
        turns,
        maxTokens: settings["chat.maxTokens"],
        temperature: settings["chat.temperature"],
        seed: settings["chat.seed"],
      },
      { onText: (text) => ctx.progress({ type: "token", text }), signal: ctx.signal },
    );
    const stats: MessageStats = {
      promptTokens: result.promptTokens,
      tokens: result.tokens,
      promptTps: result.promptTps,
      decodeTps: result.decodeTps,
      stopReason: result.stopReason,
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
    if (this.runtime.state.get().status === "generating") {
      throw new AppError(
        "busy",
        "A reply is being generated.",
        "Stop it or wait for it to finish.",
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
