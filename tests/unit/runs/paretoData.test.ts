import { describe, expect, it } from "vitest";
import {
  chartGroups,
  logFloor,
} from "../../../src-renderer/src/lib/components/app/runs/paretoData.js";
import { buildRows } from "../../../src-renderer/src/lib/components/app/runs/runRows.js";
import { makeEvaluation, makeRun } from "./fixtures.js";

const GiB = 2 ** 30;
const other = { sourceName: "Other", sourceSha256: "9".repeat(64) };

const rows = buildRows(
  [
    makeRun({ id: "q8", level: "Q8_0", sizeBytes: 0.5 * GiB, bpw: 8.5 }),
    makeRun({ id: "q4", level: "Q4_K_M", sizeBytes: 0.3 * GiB, bpw: 5.1 }),
    // Larger than Q4_K_M and worse: dominated.
    makeRun({ id: "q40", level: "Q4_0", sizeBytes: 0.32 * GiB, bpw: 5.0 }),
    makeRun({ id: "q2", level: "Q2_K", sizeBytes: 0.2 * GiB, bpw: 3.8 }),
    makeRun({ id: "q3", level: "Q3_K_S", sizeBytes: 0.25 * GiB, bpw: 4.2 }),
    makeRun({ id: "o", level: "Q6_K", sizeBytes: 0.4 * GiB, bpw: 6.6, ...other }),
  ],
  [
    makeEvaluation({ id: "e8", runId: "q8" }, { kld: 0.0001, deltaPpl: -0.02 }),
    makeEvaluation({ id: "e4", runId: "q4" }, { kld: 0.0035, deltaPpl: 0.06 }),
    makeEvaluation({ id: "e40", runId: "q40" }, { kld: 0.009, deltaPpl: 0.3 }),
    makeEvaluation({ id: "e2", runId: "q2" }, { kld: 0.038, deltaPpl: 1.6 }),
    makeEvaluation({ id: "eo", runId: "o" }, { kld: 0.5, deltaPpl: 9 }),
  ],
  "any",
);

describe("the Pareto chart's data", () => {
  it("keeps each source model's runs apart, and leaves unmeasured runs off", () => {
    const groups = chartGroups(rows, "size", "kld");
    expect(groups.map((g) => [g.sourceName, g.points.map((p) => p.row.level)])).toEqual([
      ["Starter", ["Q8_0", "Q4_K_M", "Q4_0", "Q2_K"]],
      ["Other", ["Q6_K"]],
    ]);
  });

  it("draws the frontier smallest first and greys the dominated run", () => {
    const [starter] = chartGroups(rows, "size", "kld");
    expect(starter!.frontier.map((p) => p.row.level)).toEqual(["Q2_K", "Q4_K_M", "Q8_0"]);
    const dominated = starter!.points.filter((p) => !p.onFrontier).map((p) => p.row.level);
    expect(dominated).toEqual(["Q4_0"]);
  });

  it("puts GiB or bits per weight on x, and KLD or ΔPPL on y", () => {
    const [bySize] = chartGroups(rows, "size", "kld");
    const [byBpw] = chartGroups(rows, "bpw", "deltaPpl");
    expect(bySize!.points[1]).toMatchObject({ x: 0.3, y: 0.0035 });
    expect(byBpw!.points[1]).toMatchObject({ x: 5.1, y: 0.06 });
  });

  it("shows a ΔPPL at or below zero on the log axis's floor, and keeps it on the frontier", () => {
    const [starter] = chartGroups(rows, "bpw", "deltaPpl");
    const q8 = starter!.points.find((p) => p.row.level === "Q8_0")!;
    // A decade under the smallest positive ΔPPL of the chart (0.06).
    expect(q8.plotted).toBeCloseTo(0.006, 10);
    expect(q8.y).toBe(-0.02);
    expect(q8.onFrontier).toBe(true);
  });

  it("has a floor even when nothing is positive", () => {
    expect(logFloor([])).toBe(1e-6);
    expect(logFloor([0, -1])).toBe(1e-6);
    expect(logFloor([0.5, 0.02, 0])).toBeCloseTo(0.002, 12);
  });
});
