import type { Evaluation, JobState, Run } from "@contract";

/** One line of the Runs table: a compression run, or a measurement of a model Lowbit did not make. */
export interface RunRow {
  /** The run's id, or "eval:<id>" for a measurement without a run. */
  key: string;
  run: Run | null;
  /** The newest finished measurement shown for this row (on the chosen text), if any. */
  evaluation: Evaluation | null;
  /** A measurement of this row is queued or running. */
  measuring: boolean;
  sourceName: string;
  sourceSha256: string;
  level: string;
  sizeBytes: number | null;
  bpw: number | null;
  imatrix: boolean | null;
  createdAt: string;
  status: JobState;
}

/** "any": the newest measurement on any text; otherwise only measurements on that text. */
export type TextChoice = "any" | string;

/** Runs joined with their measurements; measurements of models Lowbit did not make join too. */
export function buildRows(runs: Run[], evaluations: Evaluation[], text: TextChoice): RunRow[] {
  const fits = (e: Evaluation) => text === "any" || e.text.sha256 === text;
  // Evaluations arrive newest first: the first finished one per run wins.
  const latest = new Map<string, Evaluation>();
  const measuring = new Set<string>();
  const standalone = new Map<string, Evaluation>();
  for (const e of evaluations) {
    const key = e.runId ?? `eval:${e.model.sha256}:${e.base.sha256}`;
    if (e.status === "queued" || e.status === "running") {
      measuring.add(key);
    }
    if (e.status !== "done" || !fits(e)) {
      continue;
    }
    if (e.runId !== null) {
      if (!latest.has(e.runId)) {
        latest.set(e.runId, e);
      }
    } else if (!standalone.has(key)) {
      standalone.set(key, e);
    }
  }
  const rows: RunRow[] = runs.map((run) => ({
    key: run.id,
    run,
    evaluation: latest.get(run.id) ?? null,
    measuring: measuring.has(run.id),
    sourceName: run.sourceName,
    sourceSha256: run.sourceSha256,
    // A calibrated run is its own variant of the level (evaluations name it the same way).
    level: run.method === "gptq" ? `${run.level}+gptq` : run.level,
    sizeBytes: run.sizeBytes,
    bpw: run.bpw,
    imatrix: run.imatrix,
    createdAt: run.createdAt,
    status: run.status,
  }));
  for (const [key, e] of standalone) {
    rows.push({
      key: `eval:${e.id}`,
      run: null,
      evaluation: e,
      measuring: measuring.has(key),
      sourceName: e.base.name,
      sourceSha256: e.base.sha256,
      level: e.model.level ?? e.model.name,
      sizeBytes: e.model.sizeBytes,
      bpw: e.model.bpw,
      imatrix: null,
      createdAt: e.createdAt,
      status: e.status,
    });
  }
  return rows;
}

export type SortKey =
  | "when"
  | "source"
  | "level"
  | "size"
  | "bpw"
  | "ppl"
  | "deltaPpl"
  | "kld"
  | "top1"
  | "decode"
  | "status";

/** The value a column sorts by; null (not measured) always sorts last. */
export function sortValue(row: RunRow, key: SortKey): number | string | null {
  const m = row.evaluation?.metrics ?? null;
  switch (key) {
    case "when":
      return row.createdAt;
    case "source":
      return row.sourceName.toLowerCase();
    case "level":
      return row.level;
    case "size":
      return row.sizeBytes;
    case "bpw":
      return row.bpw;
    case "ppl":
      return m?.ppl ?? null;
    case "deltaPpl":
      return m?.deltaPpl ?? null;
    case "kld":
      return m?.kld ?? null;
    case "top1":
      return m?.top1 ?? null;
    case "decode":
      return m?.decodeTps ?? null;
    case "status":
      return row.status;
  }
}

export function sortRows(rows: RunRow[], key: SortKey, direction: "asc" | "desc"): RunRow[] {
  const sign = direction === "asc" ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    if (x === null || y === null) {
      return x === y ? 0 : x === null ? 1 : -1;
    }
    return (x < y ? -1 : x > y ? 1 : 0) * sign;
  });
}

export interface RowFilter {
  /** A source model's sha256, or "all". */
  source: string;
  /** Text to look for in the level or source name. */
  query: string;
  status: "all" | "measured" | "unmeasured" | "failed";
}

export function filterRows(rows: RunRow[], filter: RowFilter): RunRow[] {
  const query = filter.query.trim().toLowerCase();
  return rows.filter((row) => {
    if (filter.source !== "all" && row.sourceSha256 !== filter.source) {
      return false;
    }
    if (query !== "" && !`${row.level} ${row.sourceName}`.toLowerCase().includes(query)) {
      return false;
    }
    switch (filter.status) {
      case "measured":
        return row.evaluation !== null;
      case "unmeasured":
        return row.evaluation === null && row.status === "done";
      case "failed":
        return row.status === "failed" || row.status === "cancelled";
      default:
        return true;
    }
  });
}
