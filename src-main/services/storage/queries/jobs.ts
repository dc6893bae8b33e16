import type { Database } from "better-sqlite3";
import type { AppErrorData, JobRecord, JobState } from "../../../contract/index.js";

interface JobRow {
  id: string;
  kind: string;
  title: string;
  state: JobState;
  params: string;
  fraction: number | null;
  result: string | null;
  error: string | null;
  partial_path: string | null;
  created_at: string;
  updated_at: string;
}

function fromRow(row: JobRow): JobRecord {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    state: row.state,
    fraction: row.fraction,
    error: row.error === null ? null : (JSON.parse(row.error) as AppErrorData),
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function insertJob(
  db: Database,
  job: { id: string; kind: string; title: string; params: unknown; now: string },
): void {
  db.prepare(
    `INSERT INTO jobs (id, kind, title, state, params, created_at, updated_at)
     VALUES (?, ?, ?, 'queued', ?, ?, ?)`,
  ).run(job.id, job.kind, job.title, JSON.stringify(job.params), job.now, job.now);
}

export function updateJob(
  db: Database,
  id: string,
  change: {
    state?: JobState;
    fraction?: number | null;
    result?: unknown;
    error?: AppErrorData | null;
    partialPath?: string | null;
    now: string;
  },
): void {
  const sets: string[] = ["updated_at = @now"];
  const values: Record<string, unknown> = { id, now: change.now };
  if (change.state !== undefined) {
    sets.push("state = @state");
    values.state = change.state;
  }
  if (change.fraction !== undefined) {
    sets.push("fraction = @fraction");
    values.fraction = change.fraction;
  }
  if (change.result !== undefined) {
    sets.push("result = @result");
    values.result = JSON.stringify(change.result);
  }
  if (change.error !== undefined) {
    sets.push("error = @error");
    values.error = change.error === null ? null : JSON.stringify(change.error);
  }
  if (change.partialPath !== undefined) {
    sets.push("partial_path = @partial_path");
    values.partial_path = change.partialPath;
  }
  db.prepare(`UPDATE jobs SET ${sets.join(", ")} WHERE id = @id`).run(values);
}

export function listJobs(db: Database, limit: number): JobRecord[] {
  const rows = db
    .prepare("SELECT * FROM jobs ORDER BY created_at DESC LIMIT ?")
    .all(limit) as JobRow[];
  return rows.map(fromRow);
}

export function getJob(db: Database, id: string): JobRecord | undefined {
  const row = db.prepare("SELECT * FROM jobs WHERE id = ?").get(id) as JobRow | undefined;
  return row === undefined ? undefined : fromRow(row);
}

/** Jobs left "running" or "queued" by a process that died, with their partial files. */
export function listUnfinishedJobs(
  db: Database,
): Array<{ id: string; partialPath: string | null }> {
  const rows = db
    .prepare("SELECT id, partial_path FROM jobs WHERE state IN ('queued', 'running')")
    .all() as Array<{ id: string; partial_path: string | null }>;
  return rows.map((row) => ({ id: row.id, partialPath: row.partial_path }));
}
