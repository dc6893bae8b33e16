import { randomUUID } from "node:crypto";
import { AppError, type Model, type StopReason } from "../../contract/index.js";
import { samplingFrom } from "../chat/chatService.js";
import type { Lowbit } from "../lowbit.js";
import type { GenerateParams, Sampling } from "../runtime/workerContract.js";
import {
  contentText,
  type ChatCompletionRequest,
  type CompletionRequest,
} from "./openaiSchemas.js";

export interface ApiGeneration {
  id: string;
  created: number;
  model: string;
  text: string;
  finishReason: "stop" | "length";
  usage: {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    prompt_tokens_details: { cached_tokens: number };
  };
}

export interface StreamHooks {
  /** Called once the model is ready and generation begins (for the stream's first chunk). */
  onStart?: (meta: { id: string; created: number; model: string }) => void;
  onText?: (text: string) => void;
  signal: AbortSignal;
}

/**
 * The OpenAI-compatible API over the same runtime as the app: requests run one at a time (the
 * model process has one context), after any reply the app is writing. Nothing is stored.
 */
export class OpenAiService {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly app: Lowbit) {}

  models(): Array<{
    id: string;
    object: "model";
    created: number;
    owned_by: string;
    name: string;
  }> {
    return this.app.library.list().map((model) => ({
      id: model.id,
      object: "model",
      created: Math.floor(Date.parse(model.addedAt) / 1000),
      owned_by: "lowbit",
      name: model.name,
    }));
  }

  chat(request: ChatCompletionRequest, hooks: StreamHooks): Promise<ApiGeneration> {
    const system: string[] = [];
    const turns: Array<{ role: "user" | "assistant"; content: string }> = [];
    for (const message of request.messages) {
      const content = contentText(message.content);
      if (message.role === "system" || message.role === "developer") {
        system.push(content);
      } else if (message.role === "user" || message.role === "assistant") {
        turns.push({ role: message.role, content });
      } else {
        throw new AppError(
          "unsupported",
          `Messages with role "${message.role}" are not supported: Lowbit does not call tools.`,
        );
      }
    }
    const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? undefined;
    return this.run(
      request.model,
      {
        input: { kind: "chat", system: system.length > 0 ? system.join("\n\n") : null, turns },
        sampling: this.sampling(request, maxTokens),
        stop: stops(request.stop),
      },
      "chatcmpl",
      hooks,
    );
  }

  complete(request: CompletionRequest, hooks: StreamHooks): Promise<ApiGeneration> {
    const prompt = typeof request.prompt === "string" ? request.prompt : (request.prompt[0] ?? "");
    // OpenAI's default for completions is 16 tokens.
    return this.run(
      request.model,
      {
        input: { kind: "text", prompt },
        sampling: this.sampling(request, request.max_tokens ?? 16),
        stop: stops(request.stop),
      },
      "cmpl",
      hooks,
    ).then((result) =>
      request.echo === true ? { ...result, text: prompt + result.text } : result,
    );
  }

  private sampling(
    request: ChatCompletionRequest | CompletionRequest,
    maxTokens: number | undefined,
  ): Sampling {
    const defaults = samplingFrom(this.app.settings.get());
    return {
      maxTokens: maxTokens ?? defaults.maxTokens,
      temperature: request.temperature ?? defaults.temperature,
      topP: request.top_p ?? defaults.topP,
      topK: request.top_k ?? defaults.topK,
      minP: request.min_p ?? defaults.minP,
      repeatPenalty: request.repeat_penalty ?? defaults.repeatPenalty,
      seed: request.seed === undefined || request.seed === null ? null : Math.abs(request.seed),
    };
  }

  /** One request at a time, in order. */
  private run(
    modelRef: string,
    params: GenerateParams,
    prefix: string,
    hooks: StreamHooks,
  ): Promise<ApiGeneration> {
    const turn = this.queue.then(() => this.generate(modelRef, params, prefix, hooks));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async generate(
    modelRef: string,
    params: GenerateParams,
    prefix: string,
    hooks: StreamHooks,
  ): Promise<ApiGeneration> {
    hooks.signal.throwIfAborted();
    const model = this.resolve(modelRef);
    await this.untilIdle(hooks.signal);
    const request = await this.app.library.prepareLoad(model, this.app.settings.get());
    if (!this.app.runtime.isLoaded(request)) {
      await this.app.runtime.load(request, { signal: hooks.signal });
    }
    const meta = {
      id: `${prefix}-${randomUUID()}`,
      created: Math.floor(Date.now() / 1000),
      model: model.id,
    };
    hooks.onStart?.(meta);
    const result = await this.app.runtime.generate(params, {
      signal: hooks.signal,
      onText: (text) => hooks.onText?.(text),
    });
    const prompt = result.promptTokens + result.cachedTokens;
    return {
      ...meta,
      text: result.text,
      finishReason: finishReason(result.stopReason),
      usage: {
        prompt_tokens: prompt,
        completion_tokens: result.tokens,
        total_tokens: prompt + result.tokens,
        prompt_tokens_details: { cached_tokens: result.cachedTokens },
      },
    };
  }

  private resolve(ref: string): Model {
    const byName = this.app.library.list().find((m) => m.id === ref || m.name === ref);
    if (byName === undefined) {
      throw new AppError(
        "not_found",
        `The model \`${ref}\` does not exist.`,
        "GET /v1/models lists the models in the library.",
      );
    }
    return byName;
  }

  /** Waits while the app writes a reply or rebuilds the cache. */
  private async untilIdle(signal: AbortSignal): Promise<void> {
    const busy = (): boolean => {
      const status = this.app.runtime.state.get().status;
      return status === "generating" || (status === "loading" && this.app.runtime.current !== null);
    };
    while (busy()) {
      signal.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function stops(stop: string | string[] | null | undefined): string[] {
  return stop === undefined || stop === null ? [] : typeof stop === "string" ? [stop] : stop;
}

function finishReason(reason: StopReason): "stop" | "length" {
  return reason === "maxTokens" || reason === "contextFull" ? "length" : "stop";
}
