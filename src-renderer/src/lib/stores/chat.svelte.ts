import type { Conversation, Message, Model, SearchHit } from "@contract";
import { STORAGE_KEYS } from "../constants";
import { chatService, type GenerationResult } from "../services/chat";
import { errorData } from "../utils/errors";
import { readLocal, writeLocal } from "../utils/localStore";
import { Generation } from "./generation.svelte";
import { library } from "./library.svelte";
import { toasts } from "./toasts.svelte";

/**
 * Conversations and the open thread. Conversations live on the server; this store keeps the list,
 * the open conversation's messages and the one reply being generated (the server runs one at a
 * time). A new chat is a draft until its first message, so empty chats never pile up. The last
 * open conversation is remembered in localStorage and reopened after a reload.
 *
 * Quirks it hides: the user's message is shown at once (optimistically) and swapped for the
 * stored one when the server's `started` packet arrives; if the send fails before that, the text
 * goes back into the composer so nothing the user typed is lost.
 */
class ChatStore {
  conversations = $state.raw<Conversation[]>([]);
  listLoaded = $state(false);
  /** null: a new, unsaved chat. */
  activeId = $state<string | null>(null);
  messages = $state.raw<Message[]>([]);
  threadLoading = $state(false);
  generation = $state.raw<Generation | null>(null);
  draft = $state("");
  /** Incremented to ask the composer to take focus. */
  focusRequest = $state(0);
  /** The user message being edited (edit and resend), if any. */
  editingId = $state<string | null>(null);
  /** Conversation search: the query and its hits (null: not searching). */
  searchQuery = $state("");
  searchHits = $state.raw<SearchHit[] | null>(null);
  private searchToken = 0;
  private openToken = 0;

  active: Conversation | null = $derived(
    this.conversations.find((c) => c.id === this.activeId) ?? null,
  );
  /** The model this chat talks to: its own, or (for a new chat) the selected one. */
  modelId: string | null = $derived(this.active?.modelId ?? library.selectedId);
  model: Model | null = $derived(library.byId(this.modelId));
  isBaseModel = $derived(this.model?.kind === "base");
  /** The reply being generated in the open conversation, if any. */
  activeGeneration: Generation | null = $derived(
    this.generation !== null && this.generation.conversationId === this.activeId
      ? this.generation
      : null,
  );

  async init(): Promise<void> {
    await this.refreshList();
    const last = readLocal(STORAGE_KEYS.lastConversationId);
    if (last !== null && this.conversations.some((c) => c.id === last)) {
      await this.open(last);
    }
    this.focusComposer();
  }

  async refreshList(): Promise<void> {
    try {
      this.conversations = await chatService.list();
      this.listLoaded = true;
    } catch (error) {
      toasts.error(error);
    }
  }

  async open(id: string): Promise<void> {
    const token = ++this.openToken;
    this.setActive(id);
    this.messages = [];
    this.threadLoading = true;
    try {
      const { conversation, messages } = await chatService.get(id);
      if (token === this.openToken) {
        this.messages = messages;
        this.upsert(conversation);
      }
    } catch (error) {
      if (token === this.openToken) {
        toasts.error(error);
        this.newChat();
        await this.refreshList();
      }
    } finally {
      if (token === this.openToken) {
        this.threadLoading = false;
      }
    }
  }

  newChat(): void {
    this.openToken++;
    this.setActive(null);
    this.messages = [];
    this.threadLoading = false;
    this.focusComposer();
  }

  /** Puts a prompt start into the composer (suggestion chips). */
  useSuggestion(text: string): void {
    this.draft = text;
    this.focusComposer();
  }

  focusComposer(): void {
    this.focusRequest++;
  }

  async send(text: string): Promise<void> {
    if (text.trim() === "" || this.generation !== null) {
      return;
    }
    const id = this.activeId ?? (await this.createConversation());
    if (id === null) {
      return;
    }
    this.draft = "";
    const pending: Message = {
      id: `pending-${Date.now()}`,
      conversationId: id,
      role: "user",
      content: text,
      createdAt: new Date().toISOString(),
      modelId: null,
      stats: null,
    };
    this.messages = [...this.messages, pending];
    const generation = new Generation(id, "send");
    this.generation = generation;
    let stored = false;
    try {
      const result = await chatService.send(id, text, {
        signal: generation.controller.signal,
        onProgress: (packet) => {
          if (packet.type === "started" && packet.userMessage !== null) {
            stored = true;
            this.replaceIfActive(id, pending.id, packet.userMessage);
          }
          generation.apply(packet);
        },
      });
      this.finish(id, result, pending.id);
    } catch (error) {
      if (!stored && this.draft === "") {
        this.draft = text;
      }
      this.fail(error, id);
    } finally {
      generation.flush();
      this.generation = null;
      await this.refreshList();
      if (this.activeId === id) {
        this.focusComposer();
      }
    }
  }

  /** Replaces the last reply (or answers a last message that has none). */
  async regenerate(): Promise<void> {
    const id = this.activeId;
    if (id === null || this.generation !== null || this.messages.length === 0) {
      return;
    }
    if (this.messages.at(-1)?.role === "assistant") {
      this.messages = this.messages.slice(0, -1);
    }
    const generation = new Generation(id, "regenerate");
    this.generation = generation;
    try {
      const result = await chatService.regenerate(id, {
        signal: generation.controller.signal,
        onProgress: (packet) => generation.apply(packet),
      });
      this.finish(id, result, null);
    } catch (error) {
      this.fail(error, id);
    } finally {
      generation.flush();
      this.generation = null;
      await this.refreshList();
    }
  }

  /** Edit and resend: the message takes the new text, what followed it goes, a reply comes. */
  async edit(messageId: string, text: string): Promise<void> {
    const id = this.activeId;
    const index = this.messages.findIndex((m) => m.id === messageId);
    if (id === null || index < 0 || this.generation !== null || text.trim() === "") {
      return;
    }
    this.editingId = null;
    const edited = { ...this.messages[index]!, content: text };
    this.messages = [...this.messages.slice(0, index), edited];
    const generation = new Generation(id, "regenerate");
    this.generation = generation;
    try {
      const result = await chatService.edit(id, messageId, text, {
        signal: generation.controller.signal,
        onProgress: (packet) => generation.apply(packet),
      });
      this.finish(id, result, null);
    } catch (error) {
      this.fail(error, id);
    } finally {
      generation.flush();
      this.generation = null;
      await this.refreshList();
    }
  }

  async setSystemPrompt(text: string): Promise<boolean> {
    const id = this.activeId;
    if (id === null) {
      return false;
    }
    try {
      this.upsert(await chatService.setSystemPrompt(id, text));
      return true;
    } catch (error) {
      toasts.error(error);
      return false;
    }
  }

  /** Searches titles and messages; an empty query ends the search. Late answers are dropped. */
  async search(query: string): Promise<void> {
    this.searchQuery = query;
    const token = ++this.searchToken;
    if (query.trim() === "") {
      this.searchHits = null;
      return;
    }
    try {
      const hits = await chatService.search(query.trim());
      if (token === this.searchToken) {
        this.searchHits = hits;
      }
    } catch (error) {
      toasts.error(error);
    }
  }

  /** Saves the open conversation as a Markdown or JSON file (a download in the browser). */
  async export(format: "markdown" | "json"): Promise<void> {
    if (this.activeId === null) {
      return;
    }
    try {
      const file = await chatService.export(this.activeId, format);
      const url = URL.createObjectURL(new Blob([file.content], { type: file.mimeType }));
      const link = document.createElement("a");
      link.href = url;
      link.download = file.fileName;
      link.click();
      window.setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (error) {
      toasts.error(error);
    }
  }

  stop(): void {
    this.generation?.stop();
  }

  async rename(id: string, title: string): Promise<boolean> {
    try {
      this.upsert(await chatService.rename(id, title));
      return true;
    } catch (error) {
      toasts.error(error);
      return false;
    }
  }

  async remove(id: string): Promise<void> {
    if (this.generation?.conversationId === id) {
      this.generation.stop();
    }
    try {
      await chatService.remove(id);
      this.conversations = this.conversations.filter((c) => c.id !== id);
      if (this.activeId === id) {
        this.newChat();
      }
    } catch (error) {
      toasts.error(error);
    }
  }

  /** What to show for a message: base-model replies lose the whitespace they start with. */
  displayText(message: Pick<Message, "role" | "content" | "modelId">): string {
    if (message.role !== "assistant") {
      return message.content;
    }
    const model = library.byId(message.modelId) ?? this.model;
    return model?.kind === "base" ? message.content.trimStart() : message.content;
  }

  private async createConversation(): Promise<string | null> {
    try {
      const conversation = await chatService.create();
      this.conversations = [conversation, ...this.conversations];
      this.setActive(conversation.id);
      this.messages = [];
      return conversation.id;
    } catch (error) {
      toasts.error(error);
      return null;
    }
  }

  private finish(id: string, result: GenerationResult, pendingId: string | null): void {
    if (this.activeId !== id) {
      return;
    }
    const { userMessage, assistantMessage } = result;
    const drop = new Set([pendingId, userMessage.id, assistantMessage.id]);
    const kept = this.messages.filter((m) => !drop.has(m.id));
    this.messages =
      pendingId === null
        ? [...this.messages.filter((m) => m.id !== assistantMessage.id), assistantMessage]
        : [...kept, userMessage, assistantMessage];
  }

  private fail(error: unknown, id: string): void {
    // A stop while the model was still loading ends as "cancelled": not an error to show. A crash,
    // a failed load or a refused one stays in the runtime state, where the chat shows it with
    // Retry (or Load anyway).
    const { code } = errorData(error);
    if (
      !["cancelled", "worker_crashed", "model_load_failed", "insufficient_memory"].includes(code)
    ) {
      toasts.error(error);
    }
    if (this.activeId === id) {
      void this.reloadMessages(id);
    }
  }

  private async reloadMessages(id: string): Promise<void> {
    try {
      const { messages } = await chatService.get(id);
      if (this.activeId === id) {
        this.messages = messages;
      }
    } catch {
      // The conversation may be gone; the list refresh shows that.
    }
  }

  private replaceIfActive(id: string, oldId: string, message: Message): void {
    if (this.activeId === id) {
      this.messages = this.messages.map((m) => (m.id === oldId ? message : m));
    }
  }

  private upsert(conversation: Conversation): void {
    const exists = this.conversations.some((c) => c.id === conversation.id);
    this.conversations = exists
      ? this.conversations.map((c) => (c.id === conversation.id ? conversation : c))
      : [conversation, ...this.conversations];
  }

  private setActive(id: string | null): void {
    this.activeId = id;
    writeLocal(STORAGE_KEYS.lastConversationId, id);
  }
}

export const chat = new ChatStore();
