import { z } from "zod";

/**
 * The request bodies of the OpenAI endpoints Lowbit serves, as clients send them. Unknown fields
 * are ignored (clients send many); the ones we cannot honour are refused by name.
 */
const text = z.union([
  z.string(),
  z.array(z.object({ type: z.literal("text"), text: z.string() })),
  z.null(),
]);

export const chatMessageSchema = z.object({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
  content: text.optional(),
});

const sampling = {
  model: z.string().min(1),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  /** Not in OpenAI's API; llama.cpp's server and others accept these. */
  top_k: z.number().int().min(0).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  repeat_penalty: z.number().min(1).max(2).nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  n: z.literal(1, { error: "only n = 1 is supported" }).nullish(),
};

export const chatCompletionRequestSchema = z.object({
  ...sampling,
  messages: z.array(chatMessageSchema).min(1),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  tools: z.array(z.unknown()).max(0, { error: "tools are not supported" }).nullish(),
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

export const completionRequestSchema = z.object({
  ...sampling,
  prompt: z.union([z.string(), z.array(z.string()).length(1, { error: "one prompt per request" })]),
  max_tokens: z.number().int().min(1).nullish(),
  echo: z.boolean().nullish(),
});
export type CompletionRequest = z.infer<typeof completionRequestSchema>;

export function contentText(content: z.infer<typeof text> | undefined): string {
  if (content === undefined || content === null) {
    return "";
  }
  return typeof content === "string" ? content : content.map((part) => part.text).join("");
}
