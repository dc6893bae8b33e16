import { describe, expect, it } from "vitest";
import { buildRows } from "../../../src-renderer/src/lib/components/app/runs/runRows.js";
import { runsCsv } from "../../../src-renderer/src/lib/components/app/runs/runsCsv.js";
import { makeEvaluation, makeRun } from "./fixtures.js";

/** A minimal RFC 4180 reader, so the test checks what a spreadsheet would read back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else {
      cell += c;
    }
  }
  return rows;
}

describe("exporting runs as CSV", () => {
  const rows = buildRows(
    [
      makeRun({ id: "r1", level: "Q4_K_M", sourceName: 'Llama "3", 8B\nInstruct' }),
      makeRun({ id: "r2", level: "Q2_K", sourceName: '=HYPERLINK("http://x")' }),
    ],
    [makeEvaluation({ id: "e1", runId: "r1" }, { kld: 0.0035, deltaPpl: -0.021, top1: 0.955 })],
    "any",
  );
  const table = parseCsv(runsCsv(rows));
  const header = table[0]!;
  const column = (row: string[], name: string) => row[header.indexOf(name)];

  it("has a header and one CRLF-ended line per run", () => {
    expect(table).toHaveLength(3);
    expect(runsCsv(rows).endsWith("\r\n")).toBe(true);
    expect(header.slice(0, 4)).toEqual(["created_at", "source", "source_sha256", "level"]);
    expect(header).toEqual(expect.arrayContaining(["kld", "delta_ppl", "top1", "text_sha256"]));
  });

  it("reads back names with quotes, commas and line breaks unchanged", () => {
    expect(column(table[1]!, "source")).toBe('Llama "3", 8B\nInstruct');
  });

  it("defuses text a spreadsheet would run as a formula, but keeps negative numbers", () => {
    expect(column(table[2]!, "source")).toBe('\'=HYPERLINK("http://x")');
    expect(column(table[1]!, "delta_ppl")).toBe("-0.021");
  });

  it("writes every statistic as a plain number, and leaves unmeasured cells empty", () => {
    expect(Number(column(table[1]!, "kld"))).toBe(0.0035);
    expect(Number(column(table[1]!, "top1"))).toBe(0.955);
    expect(column(table[1]!, "kld_method")).toBe("full-vocabulary");
    expect(column(table[2]!, "kld")).toBe("");
    expect(column(table[2]!, "evaluation_id")).toBe("");
  });
});
