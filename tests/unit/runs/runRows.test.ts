import { describe, expect, it } from "vitest";
import {
  buildRows,
  filterRows,
  sortRows,
  type RunRow,
} from "../../../src-renderer/src/lib/components/app/runs/runRows.js";
import { makeEvaluation, makeRun } from "./fixtures.js";

const levels = (rows: RunRow[]) => rows.map((row) => row.level);
const otherText = { name: "mine.txt", sha256: "d".repeat(64) };

describe("the Runs table's rows", () => {
  const q4 = makeRun({ id: "q4", level: "Q4_K_M" });
  const q2 = makeRun({ id: "q2", level: "Q2_K", createdAt: "2026-11-29T05:02:00.000Z" });

  it("shows each run with its newest finished measurement, and whether one is running", () => {
    const rows = buildRows(
      [q4, q2],
      [
        // Newest first, as evaluate.list returns them.
        makeEvaluation({ id: "e-running", runId: "q4", status: "running", metrics: null }),
        makeEvaluation({ id: "e-new", runId: "q4" }, { kld: 0.02 }),
        makeEvaluation({ id: "e-old", runId: "q4" }, { kld: 0.5 }),
        makeEvaluation({ id: "e-failed", runId: "q2", status: "failed", metrics: null }),
      ],
      "any",
    );
    expect(rows.map((r) => [r.level, r.evaluation?.id ?? null, r.measuring])).toEqual([
      ["Q4_K_M", "e-new", true],
      ["Q2_K", null, false],
    ]);
  });

  it("keeps only measurements on the chosen text, since others are not comparable", () => {
    const evaluations = [
      makeEvaluation({ id: "e-mine", runId: "q4", text: otherText }),
      makeEvaluation({ id: "e-default", runId: "q4" }),
    ];
    expect(buildRows([q4], evaluations, "c".repeat(64))[0]?.evaluation?.id).toBe("e-default");
    expect(buildRows([q4], evaluations, otherText.sha256)[0]?.evaluation?.id).toBe("e-mine");
    expect(buildRows([q4], evaluations, "e".repeat(64))[0]?.evaluation).toBeNull();
  });

  it("lists a measured model Lowbit did not make under its base, once", () => {
    const imported = {
      id: "x",
      name: "someone's Q5",
      sha256: "f".repeat(64),
      level: "Q5_K_M",
      sizeBytes: 3 * 2 ** 30,
      bpw: 5.5,
    };
    const rows = buildRows(
      [],
      [
        makeEvaluation({ id: "e2", model: imported }),
        makeEvaluation({ id: "e1", model: imported }),
      ],
      "any",
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      key: "eval:e2",
      run: null,
      level: "Q5_K_M",
      sourceName: "Starter",
      sizeBytes: 3 * 2 ** 30,
      imatrix: null,
    });
  });
});

describe("sorting and filtering the table", () => {
  const rows = buildRows(
    [
      makeRun({ id: "a", level: "Q8_0", sizeBytes: 8 }),
      makeRun({ id: "b", level: "Q2_K", sizeBytes: 3 }),
      makeRun({ id: "c", level: "Q4_K_M", sizeBytes: 5 }),
      makeRun({ id: "d", level: "Q3_K_S", status: "failed", sizeBytes: null, bpw: null }),
      makeRun({ id: "e", level: "IQ4_XS", sourceName: "Other", sourceSha256: "9".repeat(64) }),
    ],
    [
      makeEvaluation({ id: "ea", runId: "a" }, { kld: 0.0001, deltaPpl: -0.01 }),
      makeEvaluation({ id: "eb", runId: "b" }, { kld: 0.04, deltaPpl: 1.6 }),
      makeEvaluation({ id: "ec", runId: "c" }, { kld: 0.0035, deltaPpl: 0.05 }),
    ],
    "any",
  );

  it("sorts by a metric either way, unmeasured runs always last", () => {
    expect(levels(sortRows(rows, "kld", "asc"))).toEqual([
      "Q8_0",
      "Q4_K_M",
      "Q2_K",
      "Q3_K_S",
      "IQ4_XS",
    ]);
    expect(levels(sortRows(rows, "kld", "desc"))).toEqual([
      "Q2_K",
      "Q4_K_M",
      "Q8_0",
      "Q3_K_S",
      "IQ4_XS",
    ]);
    expect(levels(sortRows(rows, "deltaPpl", "asc")).slice(0, 3)).toEqual([
      "Q8_0",
      "Q4_K_M",
      "Q2_K",
    ]);
    expect(levels(sortRows(rows, "size", "desc"))[4]).toBe("Q3_K_S");
  });

  it("does not reorder the rows it was given", () => {
    const before = levels(rows);
    sortRows(rows, "level", "asc");
    expect(levels(rows)).toEqual(before);
  });

  it("filters by source, by words in the level or source, and by state", () => {
    const all = { source: "all", query: "", status: "all" } as const;
    expect(levels(filterRows(rows, { ...all, source: "9".repeat(64) }))).toEqual(["IQ4_XS"]);
    expect(levels(filterRows(rows, { ...all, query: " q2 " }))).toEqual(["Q2_K"]);
    expect(levels(filterRows(rows, { ...all, query: "other" }))).toEqual(["IQ4_XS"]);
    expect(levels(filterRows(rows, { ...all, status: "measured" }))).toEqual([
      "Q8_0",
      "Q2_K",
      "Q4_K_M",
    ]);
    expect(levels(filterRows(rows, { ...all, status: "unmeasured" }))).toEqual(["IQ4_XS"]);
    expect(levels(filterRows(rows, { ...all, status: "failed" }))).toEqual(["Q3_K_S"]);
  });
});
