import {
  AppError,
  type KvCapabilities,
  type KvSettings,
  type MemoryEstimate,
  type MemorySnapshot,
  type RuntimeState,
} from "../../contract/index.js";
import { ContractClient } from "../../rpc/client.js";
import { Signal } from "../../rpc/signal.js";
import { explainRefusedModel } from "./extendedProbe.js";
import { kvSettingsProblem } from "./kvSupport.js";
import { describeShortfall, fitEstimate } from "./memoryFit.js";
import { describeCrash, type WorkerHandle, type WorkerSpawner } from "./workerProcess.js";
import {
  workerContract,
  type ConversationInput,
  type GenerateParams,
  type KvApplyProgressPacket,
  type ReconfigureResult,
  type WorkerContract,
} from "./workerContract.js";

export interface LoadRequest {
  model: { id: string; name: string; path: string };
  contextSize: number;
  threads: number;
  plainText: boolean;
  kv: KvSettings;
  /** Bytes the model may take ("runtime.memoryLimit"); null: what the system has free. */
  memoryLimit: number | null;
}

export interface LoadOptions {
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
  /** Load even when the estimate says it will not fit ("load anyway"). */
  force?: boolean;
}

const emptyState: RuntimeState = {
  status: "empty",
  model: null,
  loadFraction: null,
  contextSize: null,
  threads: null,
  kv: null,
  error: null,
};

interface Worker {
  handle: WorkerHandle;
  client: ContractClient<WorkerContract>;
  /** Settles once the process is gone and its crash (if any) is recorded in `state`. */
  exited: Promise<void>;
}

/**
 * Owns the model worker process: starts it on demand, loads models into it (after checking they
 * fit), streams generations, applies KV changes live, relays its memory gauges, and turns a crash
 * (llama.cpp abort, OOM kill) into state the UI shows and the user can retry from.
 */
export class ModelRuntime {
  readonly state = new Signal<RuntimeState>(emptyState);
  /** The model process's memory; null when no model is loaded. */
  readonly memory = new Signal<MemorySnapshot | null>(null);
  private worker: Worker | null = null;
  private loadedKey: string | null = null;
  private loadedRequest: LoadRequest | null = null;
  /** The load under way, so that asking again for the same load waits for it. */
  private loading: { key: string; done: Promise<RuntimeState> } | null = null;

  constructor(private readonly spawn: WorkerSpawner) {}

  get loadedModelId(): string | null {
    return this.state.get().model?.id ?? null;
  }

  /** What is loaded now, with its settings; null when nothing is. */
  get current(): LoadRequest | null {
    return this.loadedKey === null ? null : this.loadedRequest;
  }

  /** True when `request` is what is loaded now (same model and settings). */
  isLoaded(request: LoadRequest): boolean {
    return (
      this.worker !== null &&
      this.loadedKey === loadKey(request) &&
      this.state.get().status !== "crashed"
    );
  }

  /** Memory the model would need with the request's context and KV types, against what is free. */
  async estimate(request: LoadRequest): Promise<MemoryEstimate> {
    const worker = this.ensureWorker();
    const estimate = await worker.client.call("worker.estimate", {
      modelPath: request.model.path,
      contextSize: request.contextSize,
      kv: request.kv,
    });
    const snapshot = this.memory.get();
    const reclaimable =
      snapshot === null
        ? 0
        : snapshot.weights.ramBytes + snapshot.kv.allocatedBytes + snapshot.computeBytes;
    return fitEstimate(request.model.id, request.contextSize, request.kv, estimate, {
      limitBytes: request.memoryLimit,
      reclaimableBytes: reclaimable,
    });
  }

  async capabilities(modelPath: string | null): Promise<KvCapabilities> {
    return this.ensureWorker().client.call("worker.capabilities", { modelPath });
  }

  /**
   * Loads a model. Asked again for exactly the load under way (a reply sent while "Load anyway"
   * is still loading), it waits for that load instead of starting another one without its force.
   */
  load(request: LoadRequest, options: LoadOptions = {}): Promise<RuntimeState> {
    const key = loadKey(request);
    if (this.loading !== null && this.loading.key === key) {
      return this.loading.done;
    }
    const done = this.loadNow(request, options);
    const entry = { key, done };
    this.loading = entry;
    const clear = (): void => {
      if (this.loading === entry) {
        this.loading = null;
      }
    };
    done.then(clear, clear);
    return done;
  }

  private async loadNow(request: LoadRequest, options: LoadOptions): Promise<RuntimeState> {
    if (this.state.get().status === "generating") {
      throw new AppError(
        "busy",
        "A reply is being generated.",
        "Stop it or wait for it to finish.",
      );
    }
    const force = options.force ?? false;
    // Settings saved some other way (settings.set) are checked too: llama.cpp must never see a
    // KV choice its backend refuses.
    const capabilities = await this.capabilities(request.model.path).catch(
      async (error: unknown) => {
        throw await this.failLoad(error, request);
      },
    );
    const problem = kvSettingsProblem(request.kv, capabilities, request.contextSize);
    if (problem !== null) {
      const error = new AppError(
        "invalid_params",
        problem,
        "Change the KV cache settings in the chat's side panel.",
      );
      this.state.set({ ...emptyState, model: pick(request.model), error: error.toData() });
      throw error;
    }
    if (!force) {
      // The estimate reads the file through llama.cpp too: a file that aborts it is a crash here.
      const estimate = await this.estimate(request).catch(async (error: unknown) => {
        throw await this.failLoad(error, request);
      });
      if (!estimate.fits) {
        const error = new AppError(
          "insufficient_memory",
          describeShortfall(request.model.name, estimate),
          "Lower the context size or pick a smaller KV cache type, or choose Load anyway.",
        );
        this.state.set({ ...emptyState, model: pick(request.model), error: error.toData() });
        throw error;
      }
    }
    this.loadedKey = null;
    this.state.set({
      ...emptyState,
      status: "loading",
      model: pick(request.model),
      loadFraction: 0,
    });
    try {
      const worker = this.ensureWorker();
      const loaded = await worker.client.job(
        "worker.load",
        {
          modelPath: request.model.path,
          contextSize: request.contextSize,
          threads: request.threads,
          plainText: request.plainText,
          kv: request.kv,
          force,
        },
        {
          ...(options.signal === undefined ? {} : { signal: options.signal }),
          onProgress: ({ fraction }) => {
            this.state.update((s) => ({ ...s, loadFraction: fraction }));
            options.onProgress?.(fraction);
          },
        },
      );
      this.loadedKey = loadKey(request);
      this.loadedRequest = request;
      const state: RuntimeState = {
        status: "ready",
        model: pick(request.model),
        loadFraction: 1,
        contextSize: loaded.contextSize,
        threads: loaded.threads,
        kv: loaded.kv,
        error: null,
      };
      this.state.set(state);
      return state;
    } catch (error) {
      throw await this.failLoad(error, request);
    }
  }

  /**
   * Rebuilds the loaded context with new KV settings and re-ingests `conversation`. On failure
   * the worker has restored the previous context, and the error says why.
   */
  async reconfigure(
    request: LoadRequest,
    conversation: ConversationInput | null,
    options: { onProgress?: (packet: KvApplyProgressPacket) => void; signal?: AbortSignal } = {},
  ): Promise<ReconfigureResult> {
    const worker = this.worker;
    const status = this.state.get().status;
    if (worker === null || this.loadedKey === null || status !== "ready") {
      throw new AppError(
        status === "generating" ? "busy" : "no_model_loaded",
        status === "generating" ? "A reply is being generated." : "No model is loaded.",
        status === "generating" ? "Stop it first, then change the cache." : "Load a model first.",
      );
    }
    this.state.update((s) => ({ ...s, status: "loading", loadFraction: null }));
    try {
      const result = await worker.client.job(
        "worker.reconfigure",
        { contextSize: request.contextSize, kv: request.kv, conversation },
        {
          ...(options.signal === undefined ? {} : { signal: options.signal }),
          ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
        },
      );
      this.loadedKey = loadKey(request);
      this.loadedRequest = request;
      this.state.update((s) => ({
        ...s,
        status: "ready",
        loadFraction: 1,
        contextSize: result.after.contextSize,
        kv: result.after,
      }));
      return result;
    } catch (error) {
      const appError = await this.asAppError(error, request.model.name);
      if (this.state.get().status !== "crashed") {
        this.state.update((s) => ({ ...s, status: "ready" }));
      }
      throw appError;
    }
  }

  async generate(
    request: GenerateParams,
    options: { onText: (text: string) => void; signal?: AbortSignal },
  ) {
    const worker = this.worker;
    if (worker === null || this.state.get().status !== "ready") {
      throw new AppError("no_model_loaded", "No model is loaded.", "Load a model first.");
    }
    this.state.update((s) => ({ ...s, status: "generating" }));
    try {
      return await worker.client.job("worker.generate", request, {
        onProgress: ({ text }) => options.onText(text),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    } catch (error) {
      throw await this.asAppError(error, this.state.get().model?.name ?? "the model");
    } finally {
      this.state.update((s) => (s.status === "generating" ? { ...s, status: "ready" } : s));
    }
  }

  /** What the worker's cache holds now (tests and diagnostics). */
  async inspect() {
    const worker = this.worker;
    if (worker === null || this.loadedKey === null) {
      throw new AppError("no_model_loaded", "No model is loaded.", "Load a model first.");
    }
    return worker.client.call("worker.inspect", {});
  }

  async unload(): Promise<RuntimeState> {
    const worker = this.worker;
    this.loadedKey = null;
    this.loadedRequest = null;
    if (worker !== null && !worker.client.isClosed) {
      await worker.client.call("worker.unload", {}).catch(() => undefined);
    }
    this.state.set(emptyState);
    this.memory.set(null);
    return emptyState;
  }

  /** Stops the worker process (app shutdown). */
  dispose(): void {
    const worker = this.worker;
    this.worker = null;
    this.loadedKey = null;
    this.loadedRequest = null;
    if (worker !== null) {
      worker.client.close();
      worker.handle.kill();
    }
  }

  private ensureWorker(): Worker {
    if (this.worker !== null && !this.worker.client.isClosed) {
      return this.worker;
    }
    const handle = this.spawn();
    const client = new ContractClient(workerContract, handle.transport, (reason) => {
      return crashError(describeCrash(handle.stderrTail(), null) || reason);
    });
    let markExited = (): void => undefined;
    const exited = new Promise<void>((resolve) => (markExited = resolve));
    const worker: Worker = { handle, client, exited };
    this.worker = worker;
    client.subscribe("worker.memory", {}, (snapshot) => {
      if (this.worker === worker) {
        this.memory.set(snapshot);
      }
    });
    handle.onExit((exit) => {
      markExited();
      if (this.worker !== worker) {
        return; // An old worker we replaced or disposed of on purpose.
      }
      this.worker = null;
      this.loadedKey = null;
      this.loadedRequest = null;
      this.memory.set(null);
      const error = crashError(describeCrash(handle.stderrTail(), exit));
      const model = this.state.get().model;
      this.state.set({ ...emptyState, status: "crashed", model, error: error.toData() });
    });
    return worker;
  }

  private async failLoad(error: unknown, request: LoadRequest): Promise<AppError> {
    // A file in Lowbit's own types refused by a runtime without them: say that, not llama.cpp's words.
    const cancelled = error instanceof AppError && error.code === "cancelled";
    const appError =
      (cancelled ? null : await explainRefusedModel(request.model)) ??
      (await this.asAppError(error, request.model.name));
    if (this.state.get().status !== "crashed") {
      this.state.set({ ...emptyState, error: appError.toData() });
    }
    return appError;
  }

  private async asAppError(error: unknown, modelName: string): Promise<AppError> {
    if (error instanceof AppError) {
      if (error.code === "transport_closed" || error.code === "worker_crashed") {
        // The pipe closes a moment before the process is reaped; wait for its exit report.
        const exited = this.worker?.exited;
        if (exited !== undefined) {
          await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
        }
        const crash = this.state.get().error;
        return crash !== null ? AppError.fromData(crash) : error;
      }
      if (error.code === "internal") {
        return new AppError(
          "model_load_failed",
          `${modelName}: ${error.message}`,
          "Check that the file is a complete GGUF model this version of llama.cpp supports.",
        );
      }
      return error;
    }
    return new AppError("internal", error instanceof Error ? error.message : String(error));
  }
}

function crashError(reason: string): AppError {
  return new AppError(
    "worker_crashed",
    `The model process crashed: ${reason}`,
    "Lowbit is still running. Check that the model file is complete and valid, then try again.",
  );
}

function pick(model: { id: string; name: string }): { id: string; name: string } {
  return { id: model.id, name: model.name };
}

function loadKey(request: LoadRequest): string {
  return JSON.stringify([
    request.model.id,
    request.model.path,
    request.contextSize,
    request.threads,
    request.plainText,
    request.kv,
  ]);
}
