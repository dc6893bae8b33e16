import type { Database } from "better-sqlite3";
import type {
  AppErrorData,
  Evaluation,
  EvaluationMetrics,
  JobState,
  KldMethod,
} from "../../../contract/index.js";

interface EvaluationRow {
  id: string;
  job_id: string | null;
  run_id: string | null;
  model_id: string | null;
  model_name: string;
  model_sha256: string;
  model_level: string | null;
  model_size_bytes: number;
  model_bpw: number;
  base_model_id: string | null;
  base_name: string;
  base_sha256: string;
  text_name: string;
  text_sha256: string;
  context_size: number;
  chunks_requested: number | null;
  chunks: number | null;
  chunks_limited: number;
  kld_method: string;
  threads: number;
  machine: string;
  ppl: number | null;
  ppl_base: number | null;
  delta_ppl: number | null;
  ln_ppl_ratio: number | null;
  kld: number | null;
  kld_p99: number | null;
  top1: number | null;
  prompt_tps: number | null;
  decode_tps: number | null;
  peak_rss_bytes: number | null;
  tokens: number | null;
  seconds: number | null;
  details: string | null;
  status: JobState;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

function fromRow(row: EvaluationRow): Evaluation {
  return {
    id: row.id,
    jobId: row.job_id,
    runId: row.run_id,
    model: {
      id: row.model_id,
      name: row.model_name,
      sha256: row.model_sha256,
      level: row.model_level,
      sizeBytes: row.model_size_bytes,
      bpw: row.model_bpw,
    },
    base: { id: row.base_model_id, name: row.base_name, sha256: row.base_sha256 },
    text: { name: row.text_name, sha256: row.text_sha256 },
    contextSize: row.context_size,
    chunksRequested: row.chunks_requested,
    chunks: row.chunks,
    chunksLimited: row.chunks_limited === 1,
    kldMethod: row.kld_method as KldMethod,
    threads: row.threads,
    machine: row.machine,
    // Every statistic lives in `details`; the columns repeat the headline ones for queries.
    metrics: row.details === null ? null : (JSON.parse(row.details) as EvaluationMetrics),
    status: row.status,
    error: row.error === null ? null : (JSON.parse(row.error) as AppErrorData),
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}

function toRow(e: Evaluation): EvaluationRow {
  const m = e.metrics;
  return {
    id: e.id,
    job_id: e.jobId,
    run_id: e.runId,
    model_id: e.model.id,
    model_name: e.model.name,
    model_sha256: e.model.sha256,
    model_level: e.model.level,
    model_size_bytes: e.model.sizeBytes,
    model_bpw: e.model.bpw,
    base_model_id: e.base.id,
    base_name: e.base.name,
    base_sha256: e.base.sha256,
    text_name: e.text.name,
    text_sha256: e.text.sha256,
    context_size: e.contextSize,
    chunks_requested: e.chunksRequested,
    chunks: e.chunks,
    chunks_limited: e.chunksLimited ? 1 : 0,
    kld_method: e.kldMethod,
    threads: e.threads,
    machine: e.machine,
    ppl: m?.ppl ?? null,
    ppl_base: m?.pplBase ?? null,
    delta_ppl: m?.deltaPpl ?? null,
    ln_ppl_ratio: m?.lnPplRatio ?? null,
    kld: m?.kld ?? null,
    kld_p99: m?.kldP99 ?? null,
    top1: m?.top1 ?? null,
    prompt_tps: m?.promptTps ?? null,
    decode_tps: m?.decodeTps ?? null,
    peak_rss_bytes: m === null ? null : Math.round(m.peakRssBytes),
    tokens: m?.tokens ?? null,
    seconds: m?.seconds ?? null,
    details: m === null ? null : JSON.stringify(m),
    status: e.status,
    error: e.error === null ? null : JSON.stringify(e.error),
    created_at: e.createdAt,
    finished_at: e.finishedAt,
  };
}

const COLUMNS = Object.keys(toRowTemplate());

function toRowTemplate(): Record<keyof EvaluationRow, null> {
  const keys: Array<keyof EvaluationRow> = [
    "id",
    "job_id",
    "run_id",
    "model_id",
    "model_name",
    "model_sha256",
    "model_level",
    "model_size_bytes",
    "model_bpw",
    "base_model_id",
    "base_name",
    "base_sha256",
    "text_name",
    "text_sha256",
    "context_size",
    "chunks_requested",
    "chunks",
    "chunks_limited",
    "kld_method",
    "threads",
    "machine",
    "ppl",
    "ppl_base",
    "delta_ppl",
    "ln_ppl_ratio",
    "kld",
    "kld_p99",
    "top1",
    "prompt_tps",
    "decode_tps",
    "peak_rss_bytes",
    "tokens",
    "seconds",
    "details",
    "status",
    "error",
    "created_at",
    "finished_at",
  ];
  return Object.fromEntries(keys.map((k) => [k, null])) as Record<keyof EvaluationRow, null>;
}

export function insertEvaluation(db: Database, evaluation: Evaluation): void {
  db.prepare(
    `INSERT INTO evaluations (${COLUMNS.join(", ")})
     VALUES (${COLUMNS.map((c) => `@${c}`).join(", ")})`,
  ).run(toRow(evaluation));
}

/** Replaces every column but the id and creation time. */
export function updateEvaluation(db: Database, evaluation: Evaluation): void {
  const set = COLUMNS.filter((c) => c !== "id" && c !== "created_at")
    .map((c) => `${c} = @${c}`)
    .join(", ");
  db.prepare(`UPDATE evaluations SET ${set} WHERE id = @id`).run(toRow(evaluation));
}

export function getEvaluation(db: Database, id: string): Evaluation | undefined {
  const row = db.prepare("SELECT * FROM evaluations WHERE id = ?").get(id) as
    EvaluationRow | undefined;
  return row === undefined ? undefined : fromRow(row);
}

export function deleteEvaluation(db: Database, id: string): boolean {
  return db.prepare("DELETE FROM evaluations WHERE id = ?").run(id).changes > 0;
}

/** Newest first; with `modelId`, measurements of that model or against it as the base. */
export function listEvaluations(
  db: Database,
  limit: number,
  filter: { modelId?: string | undefined; runId?: string | undefined } = {},
): Evaluation[] {
  const where: string[] = [];
  if (filter.modelId !== undefined) {
    where.push("(model_id = @modelId OR base_model_id = @modelId)");
  }
  if (filter.runId !== undefined) {
    where.push("run_id = @runId");
  }
  const rows = db
    .prepare(
      `SELECT * FROM evaluations ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY created_at DESC, rowid DESC LIMIT @limit`,
    )
    .all({ modelId: filter.modelId, runId: filter.runId, limit }) as EvaluationRow[];
  return rows.map(fromRow);
}

/** What identifies a measurement: the same model, base, text and settings give the same numbers. */
export interface MeasurementKey {
  modelSha256: string;
  baseSha256: string;
  textSha256: string;
  contextSize: number;
  chunksRequested: number | null;
  kldMethod: KldMethod;
}

/** The newest finished measurement with exactly this key. */
export function findMeasurement(db: Database, key: MeasurementKey): Evaluation | undefined {
  const row = db
    .prepare(
      `SELECT * FROM evaluations WHERE status = 'done' AND model_sha256 = @modelSha256
         AND base_sha256 = @baseSha256 AND text_sha256 = @textSha256
         AND context_size = @contextSize AND chunks_requested IS @chunksRequested
         AND kld_method = @kldMethod
       ORDER BY created_at DESC, rowid DESC LIMIT 1`,
    )
    .get(key) as EvaluationRow | undefined;
  return row === undefined ? undefined : fromRow(row);
}

/** Finished measurements against `baseSha256`, newest first (the slider's quality per level). */
export function measurementsAgainst(db: Database, baseSha256: string): Evaluation[] {
  const rows = db
    .prepare(
      `SELECT * FROM evaluations WHERE status = 'done' AND base_sha256 = ?
       ORDER BY created_at DESC, rowid DESC`,
    )
    .all(baseSha256) as EvaluationRow[];
  return rows.map(fromRow);
}

/** Measurements a dead process left queued or running: they failed. */
export function failUnfinishedEvaluations(db: Database, error: AppErrorData, now: string): number {
  return db
    .prepare(
      `UPDATE evaluations SET status = 'failed', error = ?, finished_at = ?
       WHERE status IN ('queued', 'running')`,
    )
    .run(JSON.stringify(error), now).changes;
}
