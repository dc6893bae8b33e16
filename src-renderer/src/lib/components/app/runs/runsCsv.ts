import type { RunRow } from "./runRows";

const columns: Array<[string, (row: RunRow) => string | number | boolean | null | undefined]> = [
  ["created_at", (r) => r.createdAt],
  ["source", (r) => r.sourceName],
  ["source_sha256", (r) => r.sourceSha256],
  ["level", (r) => r.level],
  ["imatrix", (r) => r.imatrix],
  ["size_bytes", (r) => r.sizeBytes],
  ["bpw", (r) => r.bpw],
  ["status", (r) => r.status],
  ["ppl", (r) => r.evaluation?.metrics?.ppl],
  ["ppl_error", (r) => r.evaluation?.metrics?.pplError],
  ["ppl_base", (r) => r.evaluation?.metrics?.pplBase],
  ["delta_ppl", (r) => r.evaluation?.metrics?.deltaPpl],
  ["delta_ppl_error", (r) => r.evaluation?.metrics?.deltaPplError],
  ["ln_ppl_ratio", (r) => r.evaluation?.metrics?.lnPplRatio],
  ["kld", (r) => r.evaluation?.metrics?.kld],
  ["kld_error", (r) => r.evaluation?.metrics?.kldError],
  ["kld_p99", (r) => r.evaluation?.metrics?.kldP99],
  ["top1", (r) => r.evaluation?.metrics?.top1],
  ["rms_delta_p", (r) => r.evaluation?.metrics?.deltaP.rms],
  ["prompt_tps", (r) => r.evaluation?.metrics?.promptTps],
  ["decode_tps", (r) => r.evaluation?.metrics?.decodeTps],
  ["peak_rss_bytes", (r) => r.evaluation?.metrics?.peakRssBytes],
  ["scored_tokens", (r) => r.evaluation?.metrics?.tokens],
  ["text", (r) => r.evaluation?.text.name],
  ["text_sha256", (r) => r.evaluation?.text.sha256],
  ["context", (r) => r.evaluation?.contextSize],
  ["chunks", (r) => r.evaluation?.chunks],
  ["kld_method", (r) => r.evaluation?.kldMethod],
  ["run_id", (r) => r.run?.id],
  ["evaluation_id", (r) => r.evaluation?.id],
];

function cell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) {
    return "";
  }
  const text = String(value);
  // RFC 4180 quoting; a leading = + - @ is defused so spreadsheets never run it as a formula.
  const safe = /^[=+\-@]/.test(text) && typeof value === "string" ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The rows as CSV, one line per row, every measured statistic in its own column. */
export function runsCsv(rows: RunRow[]): string {
  const lines = [columns.map(([name]) => name).join(",")];
  for (const row of rows) {
    lines.push(columns.map(([, get]) => cell(get(row))).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}
