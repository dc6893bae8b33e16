import { z } from "zod";
import { job, noParams, rpc } from "../endpoint.js";

export const conversationSchema = z.object({
  id: z.string(),
  title: z.string(),
  modelId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  messageCount: z.number().int(),
});
export type Conversation = z.infer<typeof conversationSchema>;

export const messageStatsSchema = z.object({
  promptTokens: z.number().int(),
  tokens: z.number().int(),
  promptTps: z.number(),
  decodeTps: z.number(),
  /** eos: the model ended; maxTokens: hit the limit; stopped: the user pressed stop. */
  stopReason: z.enum(["eos", "maxTokens", "stopped"]),
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

const conversationId = z.string().min(1);

export const chatEndpoints = {
  "conversations.list": rpc(noParams, z.array(conversationSchema)),
  "conversations.get": rpc(
    z.object({ id: conversationId }),
    z.object({ conversation: conversationSchema, messages: z.array(messageSchema) }),
  ),
  "conversations.create": rpc(
    z.object({ modelId: z.string().nullable().optional(), title: z.string().max(200).optional() }),
    conversationSchema,
  ),
  "conversations.rename": rpc(
    z.object({ id: conversationId, title: z.string().trim().min(1).max(200) }),
    conversationSchema,
  ),
  "conversations.remove": rpc(z.object({ id: conversationId }), z.object({ removed: z.boolean() })),
  /** Stores the user's message, then streams the reply. Cancelling stops and keeps the partial reply. */
  "chat.send": job(
    z.object({ conversationId, text: z.string().trim().min(1).max(100_000) }),
    generationProgressSchema,
    generationResultSchema,
  ),
  /** Replaces the last reply with a new one. */
  "chat.regenerate": job(
    z.object({ conversationId }),
    generationProgressSchema,
    generationResultSchema,
  ),
};
