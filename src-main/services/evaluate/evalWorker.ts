import { AppError } from "../../contract/index.js";
import { ContractClient } from "../../rpc/client.js";
import { workerContract, type WorkerContract } from "../runtime/workerContract.js";
import {
  describeCrash,
  type WorkerExit,
  type WorkerHandle,
  type WorkerSpawner,
} from "../runtime/workerProcess.js";

/** How long a cancelled pass may take to stop on its own before its process is killed. */
export const CANCEL_GRACE_MS = 5000;

/**
 * A model worker process for one evaluation pass (never the chat's): llama.cpp runs there, the
 * peak memory it reports is that pass's own, and when llama.cpp cannot be stopped or dies, only
 * this process goes.
 */
export class EvalWorker {
  readonly client: ContractClient<WorkerContract>;
  private readonly handle: WorkerHandle;
  private exit: WorkerExit | null = null;
  private readonly exited: Promise<void>;
  private killedOnPurpose = false;

  constructor(spawn: WorkerSpawner) {
    this.handle = spawn();
    this.client = new ContractClient(
      workerContract,
      this.handle.transport,
      (reason) => new AppError("transport_closed", `The evaluation process went away (${reason}).`),
    );
    this.exited = new Promise((resolve) =>
      this.handle.onExit((exit) => {
        this.exit = exit;
        resolve();
      }),
    );
  }

  /**
   * Runs `work` with `signal` forwarded as a cancel; kills the process if it has not stopped
   * CANCEL_GRACE_MS after a cancel. A crash becomes worker_crashed with llama.cpp's last words.
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
    return new AppError(
      "worker_crashed",
      `The evaluation process crashed: ${describeCrash(this.handle.stderrTail(), this.exit)}`,
      "Lowbit is still running and nothing was recorded. Check that both model files are complete, then try again.",
    );
  }
}
