import type { WorkerSpawner } from "../runtime/workerProcess.js";
import { CompressWorker } from "./compressWorker.js";
import type { LevelPlan } from "./worker/compressWorkerContract.js";

export interface PlanRequest {
  ftype: number;
  assumeImatrix: boolean;
  /** Metadata the real run adds (the importance matrix's keys); part of the exact size. */
  metadata?: Array<{ key: string; value: string | number | boolean }>;
}

/** How long the planning worker stays up after its last dry run. */
const IDLE_MS = 60_000;
const MAX_CACHED = 2000;

/**
 * llama.cpp's dry runs for a model, cached by the model's sha256 (a file's plan never changes).
 * They run in one long-lived worker process of their own, one request at a time.
 */
export class LevelPlanner {
  private worker: CompressWorker | null = null;
  private idle: NodeJS.Timeout | undefined;
  private readonly cache = new Map<string, LevelPlan>();
  private queue: Promise<unknown> = Promise.resolve();
  private gptq: Promise<ReadonlySet<number>> | null = null;

  constructor(private readonly spawn: WorkerSpawner) {}

  async plan(
    model: { path: string; sha256: string },
    requests: readonly PlanRequest[],
  ): Promise<LevelPlan[]> {
    const key = (r: PlanRequest): string =>
      `${model.sha256}:${r.ftype}:${r.assumeImatrix}:${JSON.stringify(r.metadata ?? [])}`;
    const missing = requests.filter((r) => !this.cache.has(key(r)));
    if (missing.length > 0) {
      const planned = await this.exclusive(() => this.dryRun(model.path, missing));
      for (const plan of planned) {
        if (this.cache.size >= MAX_CACHED) {
          this.cache.delete(this.cache.keys().next().value as string);
        }
        this.cache.set(key(plan), plan);
      }
    }
    return requests.map((r) => {
      const plan = this.cache.get(key(r));
      if (plan === undefined) {
        throw new Error(`no plan for ftype ${r.ftype}`);
      }
      return plan;
    });
  }

  /** ggml type ids calibrated (gptq) rounding supports here; asked once, the build is fixed. */
  gptqTypes(): Promise<ReadonlySet<number>> {
    this.gptq ??= this.exclusive(async () => {
      const worker = this.ensureWorker();
      try {
        return new Set(
          await worker.run(undefined, () => worker.client.call("worker.gptqTypes", {})),
        );
      } finally {
        this.scheduleIdle();
      }
    });
    this.gptq.catch(() => (this.gptq = null));
    return this.gptq;
  }

  dispose(): void {
    clearTimeout(this.idle);
    this.worker?.kill();
    this.worker = null;
  }

  private ensureWorker(): CompressWorker {
    clearTimeout(this.idle);
    if (this.worker === null || !this.worker.alive) {
      this.worker = new CompressWorker(this.spawn);
    }
    return this.worker;
  }

  private scheduleIdle(): void {
    this.idle = setTimeout(() => this.dispose(), IDLE_MS);
    this.idle.unref();
  }

  private async dryRun(path: string, plans: PlanRequest[]): Promise<LevelPlan[]> {
    const worker = this.ensureWorker();
    try {
      return await worker.run(undefined, () =>
        worker.client.call("worker.planLevels", {
          inputPath: path,
          plans: plans.map((p) => ({ ...p, metadata: p.metadata ?? [] })),
        }),
      );
    } finally {
      this.scheduleIdle();
    }
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
