import { z } from "zod";
import { job, noParams, rpc } from "../endpoint.js";

export const SYSTEM_PROMPT_MAX = 20_000;

export const conversationSchema = z.object({
  id: z.string(),
  title: z.string(),
  modelId: z.string().nullable(),
  /** Sent before the conversation; for a base model it is simply the text the story starts with. */
  systemPrompt: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  messageCount: z.number().int(),
});
export type Conversation = z.infer<typeof conversationSchema>;

export const stopReasonSchema = z.enum(["eos", "maxTokens", "stopped", "contextFull"]);
export type StopReason = z.infer<typeof stopReasonSchema>;

export const messageStatsSchema = z.object({
  promptTokens: z.number().int(),
  tokens: z.number().int(),
  promptTps: z.number(),
  decodeTps: z.number(),
  /**
   * eos: the model ended; maxTokens: hit the limit; stopped: the user pressed stop;
   * contextFull: the context filled up (eviction off).
   */
  stopReason: stopReasonSchema,
  /** Prompt tokens already in the cache from the previous turn (not evaluated again). */
  cachedTokens: z.number().int().optional(),
  /** Earlier messages left out because the conversation no longer fits the context. */
  droppedMessages: z.number().int().optional(),
  /** Tokens evicted from the cache (sinks + window policy). */
  evictedTokens: z.number().int().optional(),
  /** The KV cache that wrote the reply, e.g. "q8_0/q4_0". */
  kv: z.string().optional(),
});
export type MessageStats = z.infer<typeof messageStatsSchema>;

export const messageSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  role: z.enum(["user", "assistant"]),
  content: z.string(),
  createdAt: z.string(),
  modelId: z.string().nullable(),
  stats: messageStatsSchema.nullable(),
});
export type Message = z.infer<typeof messageSchema>;

export const generationProgressSchema = z.discriminatedUnion("type", [
  /** The model is (re)loading before generation can start. */
  z.object({ type: z.literal("loading"), fraction: z.number().min(0).max(1) }),
  /** The user's message was stored; generation begins. */
  z.object({ type: z.literal("started"), userMessage: messageSchema.nullable() }),
  z.object({ type: z.literal("token"), text: z.string() }),
]);
export type GenerationProgress = z.infer<typeof generationProgressSchema>;

export const generationResultSchema = z.object({
  userMessage: messageSchema,
  assistantMessage: messageSchema,
});

export const searchHitSchema = z.object({
  conversation: conversationSchema,
  /** Where the query matched: "title" or a short excerpt around the first match in a message. */
  snippet: z.string(),
  matches: z.number().int(),
});
export type SearchHit = z.infer<typeof searchHitSchema>;

export const exportFormatSchema = z.enum(["markdown", "json"]);

const conversationId = z.string().min(1);
const systemPrompt = z.string().max(SYSTEM_PROMPT_MAX);
const messageText = z.string().trim().min(1).max(100_000);

export const chatEndpoints = {
  "conversations.list": rpc(noParams, z.array(conversationSchema)),
  "conversations.get": rpc(
    z.object({ id: conversationId }),
    z.object({ conversation: conversationSchema, messages: z.array(messageSchema) }),
  ),
  "conversations.create": rpc(
    z.object({
      modelId: z.string().nullable().optional(),
      title: z.string().max(200).optional(),
      /** Defaults to the "chat.systemPrompt" setting. */
      systemPrompt: systemPrompt.optional(),
    }),
    conversationSchema,
  ),
  "conversations.rename": rpc(
    z.object({ id: conversationId, title: z.string().trim().min(1).max(200) }),
    conversationSchema,
  ),
  "conversations.setSystemPrompt": rpc(
    z.object({ id: conversationId, systemPrompt }),
    conversationSchema,
  ),
  "conversations.remove": rpc(z.object({ id: conversationId }), z.object({ removed: z.boolean() })),
  /** Titles and message text, case-insensitive; the newest conversations first. */
  "conversations.search": rpc(
    z.object({ query: z.string().trim().min(1).max(200) }),
    z.array(searchHitSchema),
  ),
  /** The whole conversation as a Markdown or JSON document, ready to save. */
  "conversations.export": rpc(
    z.object({ id: conversationId, format: exportFormatSchema }),
    z.object({ fileName: z.string(), mimeType: z.string(), content: z.string() }),
  ),
  /** Stores the user's message, then streams the reply. Cancelling stops and keeps the partial reply. */
  "chat.send": job(
    z.object({ conversationId, text: messageText }),
    generationProgressSchema,
    generationResultSchema,
  ),
  /** Replaces the last reply with a new one. */
  "chat.regenerate": job(
    z.object({ conversationId }),
    generationProgressSchema,
    generationResultSchema,
  ),
  /** Changes one of the user's messages, drops everything after it, and answers it again. */
  "chat.edit": job(
    z.object({ conversationId, messageId: z.string().min(1), text: messageText }),
    generationProgressSchema,
    generationResultSchema,
  ),
};
