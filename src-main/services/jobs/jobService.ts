import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import type { Database } from "better-sqlite3";
import { AppError, toErrorData, type JobRecord } from "../../contract/index.js";
import { Signal } from "../../rpc/signal.js";
import {
  getJob,
  insertJob,
  listJobs,
  listUnfinishedJobs,
  updateJob,
} from "../storage/queries/jobs.js";

export interface JobRunContext {
  readonly id: string;
  readonly signal: AbortSignal;
  /** Overall progress 0..1; stored at most a few times a second. */
  progress(fraction: number): void;
  /** The file this job writes before renaming it into place; removed if the job does not finish. */
  setPartialPath(path: string | null): void;
  /** A job started with `{ queued: true }` calls this when its turn comes. */
  started(): void;
}

const PERSIST_INTERVAL_MS = 500;

/**
 * Durable jobs: a row per job (queued → running → done | failed | cancelled) that survives the
 * app dying mid-way; `recoverInterrupted` at start-up fails such rows and deletes their partial files.
 */
export class JobService {
  readonly changed: Signal<JobRecord[]>;

  constructor(
    private readonly db: Database,
    private readonly now: () => string = () => new Date().toISOString(),
  ) {
    this.changed = new Signal(listJobs(db, 50));
  }

  list(limit: number): JobRecord[] {
    return listJobs(this.db, limit);
  }

  recoverInterrupted(): number {
    const unfinished = listUnfinishedJobs(this.db);
    for (const job of unfinished) {
      if (job.partialPath !== null) {
        rmSync(job.partialPath, { force: true });
      }
      updateJob(this.db, job.id, {
        state: "failed",
        partialPath: null,
        error: {
          code: "internal",
          message: "Lowbit stopped while this job was running.",
          hint: "Start it again; nothing it had written was kept.",
        },
        now: this.now(),
      });
    }
    this.publish();
    return unfinished.length;
  }

  async run<T>(
    kind: string,
    title: string,
    params: unknown,
    signal: AbortSignal | undefined,
    work: (ctx: JobRunContext) => Promise<T>,
    options: { queued?: boolean } = {},
  ): Promise<T> {
    const id = randomUUID();
    insertJob(this.db, { id, kind, title, params, now: this.now() });
    let running = false;
    const markRunning = (): void => {
      if (!running) {
        running = true;
        updateJob(this.db, id, { state: "running", fraction: 0, now: this.now() });
        this.publish();
      }
    };
    if (options.queued === true) {
      this.publish();
    } else {
      markRunning();
    }
    let partialPath: string | null = null;
    let lastPersist = 0;
    const abort = new AbortController();
    const onAbort = (): void => abort.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const ctx: JobRunContext = {
      id,
      signal: abort.signal,
      progress: (fraction) => {
        const t = Date.now();
        if (t - lastPersist >= PERSIST_INTERVAL_MS) {
          lastPersist = t;
          updateJob(this.db, id, { fraction, now: this.now() });
          this.publish();
        }
      },
      setPartialPath: (path) => {
        partialPath = path;
        updateJob(this.db, id, { partialPath: path, now: this.now() });
      },
      started: markRunning,
    };
    try {
      const result = await work(ctx);
      updateJob(this.db, id, {
        state: "done",
        fraction: 1,
        result,
        partialPath: null,
        now: this.now(),
      });
      return result;
    } catch (error) {
      if (partialPath !== null) {
        rmSync(partialPath, { force: true });
      }
      const data = toErrorData(error);
      const cancelled = abort.signal.aborted || data.code === "cancelled";
      updateJob(this.db, id, {
        state: cancelled ? "cancelled" : "failed",
        error: cancelled ? { code: "cancelled", message: "Cancelled." } : data,
        partialPath: null,
        now: this.now(),
      });
      throw cancelled ? new AppError("cancelled", "Cancelled.") : error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.publish();
    }
  }

  get(id: string): JobRecord | undefined {
    return getJob(this.db, id);
  }

  private publish(): void {
    this.changed.set(listJobs(this.db, 50));
  }
}
