import type { Conversation, GenerationProgress, Message, SearchHit } from "@contract";
import { client } from "../../api";

export interface GenerationResult {
  userMessage: Message;
  assistantMessage: Message;
}

export interface GenerationOptions {
  onProgress: (packet: GenerationProgress) => void;
  /** Aborting stops the reply; the server keeps what was written and resolves normally. */
  signal: AbortSignal;
}

/** Conversations and replies, stored on the server. */
export const chatService = {
  list(): Promise<Conversation[]> {
    return client().call("conversations.list", {});
  },
  get(id: string): Promise<{ conversation: Conversation; messages: Message[] }> {
    return client().call("conversations.get", { id });
  },
  create(): Promise<Conversation> {
    return client().call("conversations.create", {});
  },
  rename(id: string, title: string): Promise<Conversation> {
    return client().call("conversations.rename", { id, title });
  },
  async remove(id: string): Promise<boolean> {
    return (await client().call("conversations.remove", { id })).removed;
  },
  send(
    conversationId: string,
    text: string,
    options: GenerationOptions,
  ): Promise<GenerationResult> {
    return client().job("chat.send", { conversationId, text }, options);
  },
  regenerate(conversationId: string, options: GenerationOptions): Promise<GenerationResult> {
    return client().job("chat.regenerate", { conversationId }, options);
  },
  /** Edit and resend: the message gets `text`, later messages go, a new reply comes. */
  edit(
    conversationId: string,
    messageId: string,
    text: string,
    options: GenerationOptions,
  ): Promise<GenerationResult> {
    return client().job("chat.edit", { conversationId, messageId, text }, options);
  },
  setSystemPrompt(id: string, systemPrompt: string): Promise<Conversation> {
    return client().call("conversations.setSystemPrompt", { id, systemPrompt });
  },
  search(query: string): Promise<SearchHit[]> {
    return client().call("conversations.search", { query });
  },
  export(
    id: string,
    format: "markdown" | "json",
  ): Promise<{ fileName: string; mimeType: string; content: string }> {
    return client().call("conversations.export", { id, format });
  },
};
