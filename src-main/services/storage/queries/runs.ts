import type { Database } from "better-sqlite3";
import type { AppErrorData, JobState, Run } from "../../../contract/index.js";

interface RunRow {
  id: string;
  job_id: string | null;
  source_model_id: string | null;
  source_name: string;
  source_sha256: string;
  level: string;
  options: string;
  imatrix: number;
  imatrix_text_sha256: string | null;
  imatrix_dataset: string | null;
  method: "rtn" | "gptq";
  gptq: string | null;
  output_model_id: string | null;
  output_path: string | null;
  size_bytes: number | null;
  bpw: number | null;
  duration_ms: number | null;
  threads: number;
  machine: string;
  status: JobState;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

function fromRow(row: RunRow): Run {
  return {
    id: row.id,
    jobId: row.job_id,
    sourceModelId: row.source_model_id,
    sourceName: row.source_name,
    sourceSha256: row.source_sha256,
    level: row.level,
    options: JSON.parse(row.options) as Run["options"],
    imatrix: row.imatrix === 1,
    imatrixTextSha256: row.imatrix_text_sha256,
    imatrixDataset: row.imatrix_dataset,
    method: row.method,
    gptq: row.gptq === null ? null : (JSON.parse(row.gptq) as Run["gptq"]),
    outputModelId: row.output_model_id,
    outputPath: row.output_path,
    sizeBytes: row.size_bytes,
    bpw: row.bpw,
    durationMs: row.duration_ms,
    threads: row.threads,
    machine: row.machine,
    status: row.status,
    error: row.error === null ? null : (JSON.parse(row.error) as AppErrorData),
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}

export function insertRun(db: Database, run: Run): void {
  db.prepare(
    `INSERT INTO runs (id, job_id, source_model_id, source_name, source_sha256, level, options,
       imatrix, imatrix_text_sha256, imatrix_dataset, method, gptq, output_model_id, output_path,
       size_bytes, bpw, duration_ms, threads, machine, status, error, created_at, finished_at)
     VALUES (@id, @job_id, @source_model_id, @source_name, @source_sha256, @level, @options,
       @imatrix, @imatrix_text_sha256, @imatrix_dataset, @method, @gptq, @output_model_id,
       @output_path,
       @size_bytes, @bpw, @duration_ms, @threads, @machine, @status, @error, @created_at,
       @finished_at)`,
  ).run(toRow(run));
}

/** Replaces every mutable column of an existing run. */
export function updateRun(db: Database, run: Run): void {
  db.prepare(
    `UPDATE runs SET job_id = @job_id, imatrix = @imatrix,
       imatrix_text_sha256 = @imatrix_text_sha256, imatrix_dataset = @imatrix_dataset,
       method = @method, gptq = @gptq,
       output_model_id = @output_model_id, output_path = @output_path, size_bytes = @size_bytes,
       bpw = @bpw, duration_ms = @duration_ms, threads = @threads, status = @status,
       error = @error, finished_at = @finished_at
     WHERE id = @id`,
  ).run(toRow(run));
}

function toRow(run: Run): RunRow {
  return {
    id: run.id,
    job_id: run.jobId,
    source_model_id: run.sourceModelId,
    source_name: run.sourceName,
    source_sha256: run.sourceSha256,
    level: run.level,
    options: JSON.stringify(run.options),
    imatrix: run.imatrix ? 1 : 0,
    imatrix_text_sha256: run.imatrixTextSha256,
    imatrix_dataset: run.imatrixDataset,
    method: run.method ?? "rtn",
    gptq: run.gptq === undefined || run.gptq === null ? null : JSON.stringify(run.gptq),
    output_model_id: run.outputModelId,
    output_path: run.outputPath,
    size_bytes: run.sizeBytes,
    bpw: run.bpw,
    duration_ms: run.durationMs,
    threads: run.threads,
    machine: run.machine,
    status: run.status,
    error: run.error === null ? null : JSON.stringify(run.error),
    created_at: run.createdAt,
    finished_at: run.finishedAt,
  };
}

export function getRun(db: Database, id: string): Run | undefined {
  const row = db.prepare("SELECT * FROM runs WHERE id = ?").get(id) as RunRow | undefined;
  return row === undefined ? undefined : fromRow(row);
}

/** Newest first; with `modelId`, only runs from or to that model. */
export function listRuns(db: Database, limit: number, modelId?: string): Run[] {
  const rows = (
    modelId === undefined
      ? db.prepare("SELECT * FROM runs ORDER BY created_at DESC, rowid DESC LIMIT ?").all(limit)
      : db
          .prepare(
            `SELECT * FROM runs WHERE source_model_id = @id OR output_model_id = @id
             ORDER BY created_at DESC, rowid DESC LIMIT @limit`,
          )
          .all({ id: modelId, limit })
  ) as RunRow[];
  return rows.map(fromRow);
}

/** The run that produced a model, if Lowbit made it. */
export function findRunByOutput(db: Database, modelId: string): Run | undefined {
  const row = db
    .prepare(
      "SELECT * FROM runs WHERE output_model_id = ? AND status = 'done' ORDER BY created_at DESC LIMIT 1",
    )
    .get(modelId) as RunRow | undefined;
  return row === undefined ? undefined : fromRow(row);
}

/** Runs a process left queued or running when it died: they failed. */
export function failUnfinishedRuns(db: Database, error: AppErrorData, now: string): number {
  return db
    .prepare(
      `UPDATE runs SET status = 'failed', error = ?, finished_at = ?
       WHERE status IN ('queued', 'running')`,
    )
    .run(JSON.stringify(error), now).changes;
}
