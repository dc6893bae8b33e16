import type { Database } from "better-sqlite3";
import { AppError, type Run } from "../../contract/index.js";
import { Signal } from "../../rpc/signal.js";
import {
  failUnfinishedRuns,
  findRunByOutput,
  getRun,
  insertRun,
  listRuns,
  updateRun,
} from "../storage/queries/runs.js";

const PUBLISHED = 200;

/** The runs table: one row per compression, kept after its models are gone. */
export class RunsService {
  readonly changed: Signal<Run[]>;

  constructor(
    private readonly db: Database,
    private readonly now: () => string = () => new Date().toISOString(),
  ) {
    this.changed = new Signal(listRuns(db, PUBLISHED));
  }

  list(limit: number, modelId?: string): Run[] {
    return listRuns(this.db, limit, modelId);
  }

  get(id: string): Run {
    const run = getRun(this.db, id);
    if (run === undefined) {
      throw new AppError("not_found", `No run with id ${id}.`, "List runs to see their ids.");
    }
    return run;
  }

  /** The run that made `modelId`, if Lowbit quantized it. */
  producerOf(modelId: string): Run | undefined {
    return findRunByOutput(this.db, modelId);
  }

  insert(run: Run): Run {
    insertRun(this.db, run);
    this.publish();
    return run;
  }

  /** Saves `run` (inside the caller's transaction, if any) and returns it. */
  save(run: Run, options: { publish?: boolean } = {}): Run {
    updateRun(this.db, run);
    if (options.publish ?? true) {
      this.publish();
    }
    return run;
  }

  /** At start-up: runs left queued or running by a process that died have failed. */
  recoverInterrupted(): number {
    const count = failUnfinishedRuns(
      this.db,
      {
        code: "internal",
        message: "Lowbit stopped while this run was in progress.",
        hint: "Start it again; nothing it had written was kept.",
      },
      this.now(),
    );
    if (count > 0) {
      this.publish();
    }
    return count;
  }

  publish(): void {
    this.changed.set(listRuns(this.db, PUBLISHED));
  }

  timestamp(): string {
    return this.now();
  }
}
