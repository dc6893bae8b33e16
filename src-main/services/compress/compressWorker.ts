import { AppError } from "../../contract/index.js";
import { ContractClient } from "../../rpc/client.js";
import { workerContract, type WorkerContract } from "../runtime/workerContract.js";
import {
  describeCrash,
  type WorkerExit,
  type WorkerHandle,
  type WorkerSpawner,
} from "../runtime/workerProcess.js";

/** How long a cancelled job may take to stop on its own before its process is killed. */
export const CANCEL_GRACE_MS = 5000;

/**
 * A model worker process of the compression service's own (never the chat's): native work runs
 * there, and when llama.cpp cannot be stopped or dies, only this process goes.
 */
export class CompressWorker {
  readonly client: ContractClient<WorkerContract>;
  private readonly handle: WorkerHandle;
  private exit: WorkerExit | null = null;
  private readonly exited: Promise<void>;
  private killedOnPurpose = false;

  constructor(spawn: WorkerSpawner) {
    this.handle = spawn();
    // The pipe closes a moment before the exit is reported: run() waits for it, then explains.
    this.client = new ContractClient(
      workerContract,
      this.handle.transport,
      (reason) =>
        new AppError("transport_closed", `The compression process went away (${reason}).`),
    );
    this.exited = new Promise((resolve) =>
      this.handle.onExit((exit) => {
        this.exit = exit;
        resolve();
      }),
    );
  }

  get alive(): boolean {
    return this.exit === null && !this.client.isClosed;
  }

  /**
   * Runs `work` with `signal` forwarded as a cancel; if the worker has not finished
   * CANCEL_GRACE_MS after a cancel, kills it. A crash becomes a worker_crashed error naming
   * llama.cpp's last words; a kill after a cancel becomes `cancelled`.
   */
  async run<T>(signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>) {
    const forward = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      forward.abort(signal?.reason);
      timer = setTimeout(() => this.kill(), CANCEL_GRACE_MS);
    };
    if (signal?.aborted) {
      onAbort();
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await work(forward.signal);
    } catch (error) {
      if (forward.signal.aborted) {
        throw new AppError("cancelled", "Cancelled.");
      }
      if (error instanceof AppError && error.code === "transport_closed") {
        await Promise.race([this.exited, new Promise((r) => setTimeout(r, 2000))]);
        throw this.crashError();
      }
      throw error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  kill(): void {
    this.killedOnPurpose = true;
    this.client.close();
    this.handle.kill();
  }

  private crashError(): AppError {
    if (this.killedOnPurpose) {
      return new AppError("cancelled", "Cancelled.");
    }
    const reason = describeCrash(this.handle.stderrTail(), this.exit);
    return new AppError(
      "worker_crashed",
      `The compression process crashed: ${reason}`,
      "Lowbit is still running and nothing was kept. Check that the model file is complete, then try again.",
    );
  }
}
