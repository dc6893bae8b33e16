import { AppError, type RuntimeState } from "../../contract/index.js";
import { ContractClient } from "../../rpc/client.js";
import { Signal } from "../../rpc/signal.js";
import { describeCrash, type WorkerHandle, type WorkerSpawner } from "./workerProcess.js";
import { workerContract, type ChatTurn, type WorkerContract } from "./workerContract.js";

export interface LoadRequest {
  model: { id: string; name: string; path: string };
  contextSize: number;
  threads: number;
  plainText: boolean;
}

export interface GenerateRequest {
  turns: ChatTurn[];
  maxTokens: number;
  temperature: number;
  seed: number | null;
}

const emptyState: RuntimeState = {
  status: "empty",
  model: null,
  loadFraction: null,
  contextSize: null,
  threads: null,
  error: null,
};

interface Worker {
  handle: WorkerHandle;
  client: ContractClient<WorkerContract>;
  /** Settles once the process is gone and its crash (if any) is recorded in `state`. */
  exited: Promise<void>;
}

/**
 * Owns the model worker process: starts it on demand, loads models into it, streams generations,
 * and turns a crash (llama.cpp abort, OOM kill) into state the UI shows and the user can retry from.
 */
export class ModelRuntime {
  readonly state = new Signal<RuntimeState>(emptyState);
  private worker: Worker | null = null;
  private loadedKey: string | null = null;

  constructor(private readonly spawn: WorkerSpawner) {}

  get loadedModelId(): string | null {
    return this.state.get().model?.id ?? null;
  }

  /** True when `request` is what is loaded now (same model and settings). */
  isLoaded(request: LoadRequest): boolean {
    return (
      this.worker !== null &&
      this.loadedKey === loadKey(request) &&
      this.state.get().status !== "crashed"
    );
  }

  async load(
    request: LoadRequest,
    options: { onProgress?: (fraction: number) => void; signal?: AbortSignal } = {},
  ): Promise<RuntimeState> {
    if (this.state.get().status === "generating") {
      throw new AppError(
        "busy",
        "A reply is being generated.",
        "Stop it or wait for it to finish.",
      );
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
      const state: RuntimeState = {
        status: "ready",
        model: pick(request.model),
        loadFraction: 1,
        contextSize: loaded.contextSize,
        threads: loaded.threads,
        error: null,
      };
      this.state.set(state);
      return state;
    } catch (error) {
      const appError = await this.asAppError(error, request.model.name);
      if (this.state.get().status !== "crashed") {
        this.state.set({ ...emptyState, error: appError.toData() });
      }
      throw appError;
    }
  }

  async generate(
    request: GenerateRequest,
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

  async unload(): Promise<RuntimeState> {
    const worker = this.worker;
    this.loadedKey = null;
    if (worker !== null && !worker.client.isClosed) {
      await worker.client.call("worker.unload", {}).catch(() => undefined);
    }
    this.state.set(emptyState);
    return emptyState;
  }

  /** Stops the worker process (app shutdown). */
  dispose(): void {
    const worker = this.worker;
    this.worker = null;
    this.loadedKey = null;
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
    handle.onExit((exit) => {
      markExited();
      if (this.worker !== worker) {
        return; // An old worker we replaced or disposed of on purpose.
      }
      this.worker = null;
      this.loadedKey = null;
      const error = crashError(describeCrash(handle.stderrTail(), exit));
      const model = this.state.get().model;
      this.state.set({ ...emptyState, status: "crashed", model, error: error.toData() });
    });
    return worker;
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
  ]);
}
