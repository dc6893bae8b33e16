import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { toErrorData, type AppErrorData } from "../contract/index.js";
import type { Lowbit } from "../services/lowbit.js";
import {
  chatCompletionRequestSchema,
  completionRequestSchema,
} from "../services/openai/openaiSchemas.js";
import { OpenAiService, type ApiGeneration } from "../services/openai/openaiService.js";

const MAX_BODY_BYTES = 8 * 2 ** 20;

/**
 * `/v1`: the OpenAI-compatible API (models, chat completions, completions; streaming as
 * server-sent events). The host has already checked the bearer token and that the request came
 * to 127.0.0.1.
 */
export function openAiRoutes(app: Lowbit) {
  const service = new OpenAiService(app);

  return async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> => {
    // A client that goes away stops its generation, as the Stop button does.
    const gone = new AbortController();
    response.on("close", () => {
      if (!response.writableFinished) {
        gone.abort();
      }
    });
    try {
      const route = `${request.method} ${url.pathname.replace(/\/$/, "")}`;
      switch (route) {
        case "GET /v1/models":
          return sendJson(response, 200, { object: "list", data: service.models() });
        case "POST /v1/chat/completions": {
          const body = parse(chatCompletionRequestSchema, await readJson(request));
          return await respond(response, body.stream === true, body, gone.signal, "chat", (hooks) =>
            service.chat(body, hooks),
          );
        }
        case "POST /v1/completions": {
          const body = parse(completionRequestSchema, await readJson(request));
          return await respond(response, body.stream === true, body, gone.signal, "text", (hooks) =>
            service.complete(body, hooks),
          );
        }
        default:
          return sendError(response, 404, {
            code: "not_found",
            message: `${request.method} ${url.pathname} is not part of this API.`,
            hint: "Lowbit serves GET /v1/models, POST /v1/chat/completions and POST /v1/completions.",
          });
      }
    } catch (error) {
      const data = toErrorData(error);
      if (response.headersSent) {
        // Mid-stream: say so in the stream, then end it.
        response.end(`data: ${JSON.stringify({ error: openAiError(data) })}\n\n`);
        return;
      }
      sendError(response, statusFor(data), data);
    }
  };
}

type Run = (hooks: {
  signal: AbortSignal;
  onStart?: (meta: { id: string; created: number; model: string }) => void;
  onText?: (text: string) => void;
}) => Promise<ApiGeneration>;

async function respond(
  response: ServerResponse,
  stream: boolean,
  body: { stream_options?: { include_usage?: boolean | null | undefined } | null | undefined },
  signal: AbortSignal,
  kind: "chat" | "text",
  run: Run,
): Promise<void> {
  if (!stream) {
    const result = await run({ signal });
    sendJson(response, 200, kind === "chat" ? chatCompletion(result) : textCompletion(result));
    return;
  }
  let meta: { id: string; created: number; model: string } | null = null;
  const chunk = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    response.write(
      `data: ${JSON.stringify({
        id: meta?.id,
        object: kind === "chat" ? "chat.completion.chunk" : "text_completion",
        created: meta?.created,
        model: meta?.model,
        choices: [{ index: 0, logprobs: null, ...choice }],
        ...extra,
      })}\n\n`,
    );
  };
  const result = await run({
    signal,
    onStart: (m) => {
      meta = m;
      response.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
      if (kind === "chat") {
        chunk({ delta: { role: "assistant", content: "" }, finish_reason: null });
      }
    },
    onText: (text) =>
      chunk(
        kind === "chat"
          ? { delta: { content: text }, finish_reason: null }
          : { text, finish_reason: null },
      ),
  });
  chunk(
    kind === "chat"
      ? { delta: {}, finish_reason: result.finishReason }
      : { text: "", finish_reason: result.finishReason },
  );
  if (body.stream_options?.include_usage === true) {
    response.write(
      `data: ${JSON.stringify({
        id: result.id,
        object: kind === "chat" ? "chat.completion.chunk" : "text_completion",
        created: result.created,
        model: result.model,
        choices: [],
        usage: result.usage,
      })}\n\n`,
    );
  }
  response.end("data: [DONE]\n\n");
}

function chatCompletion(result: ApiGeneration) {
  return {
    id: result.id,
    object: "chat.completion",
    created: result.created,
    model: result.model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: result.text, refusal: null },
        logprobs: null,
        finish_reason: result.finishReason,
      },
    ],
    usage: result.usage,
  };
}

function textCompletion(result: ApiGeneration) {
  return {
    id: result.id,
    object: "text_completion",
    created: result.created,
    model: result.model,
    choices: [{ index: 0, text: result.text, logprobs: null, finish_reason: result.finishReason }],
    usage: result.usage,
  };
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw badRequest("The request body is larger than 8 MiB.");
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw badRequest("The request body is not valid JSON.");
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue === undefined || issue.path.length === 0 ? "body" : issue.path.join(".");
    throw badRequest(`Invalid \`${field}\`: ${issue?.message ?? "invalid value"}.`);
  }
  return parsed.data;
}

function badRequest(message: string): AppErrorData {
  return { code: "invalid_params", message };
}

function statusFor(error: AppErrorData): number {
  switch (error.code) {
    case "invalid_params":
      return 400;
    case "unsupported":
      return 400;
    case "not_found":
      return 404;
    case "insufficient_memory":
      return 507;
    case "busy":
      return 429;
    case "cancelled":
      return 499;
    default:
      return 500;
  }
}

function openAiError(error: AppErrorData) {
  const type =
    error.code === "invalid_params" || error.code === "unsupported" || error.code === "not_found"
      ? "invalid_request_error"
      : "server_error";
  return {
    message: error.hint === undefined ? error.message : `${error.message} ${error.hint}`,
    type,
    param: null,
    code: error.code === "not_found" ? "model_not_found" : error.code,
  };
}

function sendError(response: ServerResponse, status: number, error: AppErrorData): void {
  sendJson(response, status, { error: openAiError(error) });
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  response.end(JSON.stringify(value));
}

/** The 401 an OpenAI client understands. */
export function sendUnauthorized(response: ServerResponse): void {
  sendJson(response, 401, {
    error: {
      message:
        "Missing or wrong API key: use the token `lowbit serve` printed as the bearer token.",
      type: "invalid_request_error",
      param: null,
      code: "invalid_api_key",
    },
  });
}
