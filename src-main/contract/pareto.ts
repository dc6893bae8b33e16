/**
 * The Pareto frontier of measured runs: the runs no other run beats on both size and quality
 * loss. Pure, shared by the services (the slider's "best under a size") and the Runs chart.
 */

/**
 * The points no other point dominates when both coordinates are to be minimised (smaller file,
 * smaller loss), ordered by x. Of points equal in both, the first is kept.
 */
export function paretoFrontier<T>(
  points: readonly T[],
  x: (point: T) => number,
  y: (point: T) => number,
): T[] {
  const usable = points.filter((p) => Number.isFinite(x(p)) && Number.isFinite(y(p)));
  const sorted = usable
    .map((point, order) => ({ point, order }))
    .sort((a, b) => x(a.point) - x(b.point) || y(a.point) - y(b.point) || a.order - b.order);
  const frontier: T[] = [];
  let best = Infinity;
  for (const { point } of sorted) {
    if (y(point) < best) {
      frontier.push(point);
      best = y(point);
    }
  }
  return frontier;
}

/** The frontier point with the smallest loss whose size is at most `budget`; null if none fits. */
export function bestWithin<T>(
  points: readonly T[],
  budget: number,
  x: (point: T) => number,
  y: (point: T) => number,
): T | null {
  const fitting = paretoFrontier(points, x, y).filter((p) => x(p) <= budget);
  return fitting.at(-1) ?? null;
}
