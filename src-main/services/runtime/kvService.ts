import {
  AppError,
  type KvApplyProgress,
  type KvApplyResult,
  type KvCapabilities,
  type KvSettings,
  type MemoryEstimate,
  type Model,
} from "../../contract/index.js";
import type { ChatService } from "../chat/chatService.js";
import type { LibraryService } from "../library/libraryService.js";
import type { SettingsService } from "../settings/settingsService.js";
import { kvSettingsProblem } from "./kvSupport.js";
import { describeShortfall } from "./memoryFit.js";
import type { ModelRuntime } from "./modelRuntime.js";

export interface ApplyRequest {
  conversationId: string | null;
  kv: KvSettings;
  contextSize: number;
}

/**
 * The KV panel's service: what the backend allows, the pre-load estimate, and live apply —
 * check the choice, rebuild the loaded context, read the conversation back in from the
 * database, and only then save the settings (a failure keeps the previous ones).
 */
export class KvService {
  constructor(
    private readonly library: LibraryService,
    private readonly runtime: ModelRuntime,
    private readonly settings: SettingsService,
    private readonly chat: ChatService,
  ) {}

  /** For the given model, else the loaded one, else the selected one. */
  async capabilities(modelId?: string): Promise<KvCapabilities> {
    const model = this.modelFor(modelId);
    return this.runtime
      .capabilities(model?.path ?? null)
      .then((caps) =>
        caps.model === null || model === null
          ? caps
          : { ...caps, model: { ...caps.model, name: model.name } },
      );
  }

  async estimate(
    modelId: string,
    overrides: { contextSize?: number | undefined; kv?: KvSettings | undefined },
  ): Promise<MemoryEstimate> {
    const model = this.library.get(modelId);
    const settings = this.settings.get();
    const request = this.library.loadRequest(model, {
      ...settings,
      "runtime.contextSize": overrides.contextSize ?? settings["runtime.contextSize"],
      "runtime.kv": overrides.kv ?? settings["runtime.kv"],
    });
    return this.runtime.estimate(request);
  }

  async apply(
    params: ApplyRequest,
    options: { onProgress?: (packet: KvApplyProgress) => void; signal?: AbortSignal } = {},
  ): Promise<KvApplyResult> {
    const started = performance.now();
    const settings = this.settings.get();
    const previous = { kv: settings["runtime.kv"], contextSize: settings["runtime.contextSize"] };
    const current = this.runtime.current;
    const model = current === null ? this.modelFor(undefined) : this.library.get(current.model.id);
    const capabilities = await this.runtime.capabilities(model?.path ?? null);
    const problem = kvSettingsProblem(params.kv, capabilities, params.contextSize);
    if (problem !== null) {
      throw new AppError("invalid_params", problem);
    }
    const conversation =
      params.conversationId === null ? null : this.chat.input(params.conversationId);
    if (current === null || model === null) {
      this.save(params);
      return {
        applied: false,
        before: null,
        after: null,
        conversation: null,
        seconds: (performance.now() - started) / 1000,
        ingestSeconds: 0,
        method: null,
        methodReason: null,
        probe: null,
        previous,
      };
    }
    const request = this.library.loadRequest(model, {
      ...settings,
      "runtime.kv": params.kv,
      "runtime.contextSize": params.contextSize,
    });
    const estimate = await this.runtime.estimate(request);
    if (!estimate.fits) {
      throw new AppError(
        "insufficient_memory",
        describeShortfall(model.name, estimate),
        "Pick a smaller context or a quantized KV type.",
      );
    }
    const result = await this.runtime.reconfigure(request, conversation, options);
    this.save(params);
    return {
      applied: true,
      before: result.before,
      after: result.after,
      conversation:
        params.conversationId === null || conversation === null
          ? null
          : {
              id: params.conversationId,
              messages: conversation.turns.length,
              tokens: result.tokens,
              stateBytesBefore: result.stateBytesBefore,
              stateBytesAfter: result.stateBytesAfter,
            },
      seconds: (performance.now() - started) / 1000,
      ingestSeconds: result.ingestSeconds,
      method: result.method,
      methodReason: result.methodReason,
      probe: result.probe,
      previous,
    };
  }

  private save(params: ApplyRequest): void {
    this.settings.set({ "runtime.kv": params.kv, "runtime.contextSize": params.contextSize });
  }

  private modelFor(modelId: string | undefined): Model | null {
    const id =
      modelId ??
      this.runtime.current?.model.id ??
      this.settings.get()["library.selectedModelId"] ??
      this.library.list()[0]?.id;
    return id === undefined || id === null ? null : this.library.get(id);
  }
}
