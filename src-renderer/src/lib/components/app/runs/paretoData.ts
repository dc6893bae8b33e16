import { paretoFrontier } from "@contract";
import type { RunRow } from "./runRows";
import type { XAxis, YAxis } from "./runsText";

/** One measured run on the chart. */
export interface ChartPoint {
  key: string;
  row: RunRow;
  /** GiB or bits per weight. */
  x: number;
  /** The measured loss (may be ≤ 0: a log axis cannot show that, see `plotted`). */
  y: number;
  /** Where the point is drawn on the log axis: `y`, or the axis floor when y ≤ 0. */
  plotted: number;
  onFrontier: boolean;
}

/** The points of one source model (losses are relative to it, so sources are never mixed). */
export interface PointGroup {
  sourceSha256: string;
  sourceName: string;
  points: ChartPoint[];
  /** Frontier points, smallest first. */
  frontier: ChartPoint[];
}

export function xOf(row: RunRow, axis: XAxis): number | null {
  return axis === "size" ? (row.sizeBytes === null ? null : row.sizeBytes / 2 ** 30) : row.bpw;
}

export function yOf(row: RunRow, axis: YAxis): number | null {
  const m = row.evaluation?.metrics ?? null;
  return m === null ? null : axis === "kld" ? m.kld : m.deltaPpl;
}

/** The lowest value the log axis shows: a decade under the smallest positive loss. */
export function logFloor(values: number[]): number {
  const positive = values.filter((v) => v > 0);
  return positive.length === 0 ? 1e-6 : Math.min(...positive) / 10;
}

/** Measured rows grouped by source, each group with its Pareto frontier (size vs loss). */
export function chartGroups(rows: RunRow[], xAxis: XAxis, yAxis: YAxis): PointGroup[] {
  const usable = rows.filter((r) => xOf(r, xAxis) !== null && yOf(r, yAxis) !== null);
  const floor = logFloor(usable.map((r) => yOf(r, yAxis)!));
  const groups = new Map<string, PointGroup>();
  for (const row of usable) {
    const y = yOf(row, yAxis)!;
    const group = groups.get(row.sourceSha256) ?? {
      sourceSha256: row.sourceSha256,
      sourceName: row.sourceName,
      points: [],
      frontier: [],
    };
    group.points.push({
      key: row.key,
      row,
      x: xOf(row, xAxis)!,
      y,
      plotted: y > 0 ? y : floor,
      onFrontier: false,
    });
    groups.set(row.sourceSha256, group);
  }
  for (const group of groups.values()) {
    group.frontier = paretoFrontier(
      group.points,
      (p) => p.x,
      (p) => p.y,
    );
    for (const point of group.frontier) {
      point.onFrontier = true;
    }
  }
  return [...groups.values()];
}
