import { describe, expect, it } from "vitest";
import { bestWithin, paretoFrontier } from "../../../src-main/contract/index.js";

interface Point {
  name: string;
  gib: number;
  kld: number;
}

const p = (name: string, gib: number, kld: number): Point => ({ name, gib, kld });
const names = (points: Point[]) => points.map((point) => point.name);
const x = (point: Point) => point.gib;
const y = (point: Point) => point.kld;

describe("the Pareto frontier of size against quality loss", () => {
  const runs = [
    p("Q8_0", 7.9, 0.0014),
    p("Q6_K", 6.1, 0.0055),
    p("Q5_K_M", 5.3, 0.011),
    // Larger and worse than Q5_K_M: dominated.
    p("Q5_1", 5.6, 0.018),
    p("Q4_K_M", 4.6, 0.031),
    // Smaller than Q4_K_M but worse than Q4_K_S? No: the same size as Q4_K_S and worse.
    p("Q4_0", 4.4, 0.072),
    p("Q4_K_S", 4.4, 0.043),
    p("Q2_K", 3.0, 0.445),
  ];

  it("keeps the runs nothing beats on both axes, smallest first", () => {
    expect(names(paretoFrontier(runs, x, y))).toEqual([
      "Q2_K",
      "Q4_K_S",
      "Q4_K_M",
      "Q5_K_M",
      "Q6_K",
      "Q8_0",
    ]);
  });

  it("drops a run equal in size and worse, or equal in loss and larger", () => {
    expect(names(paretoFrontier([p("a", 2, 1), p("b", 2, 3), p("c", 5, 1)], x, y))).toEqual(["a"]);
  });

  it("keeps the first of two identical runs, and ignores unmeasured ones", () => {
    const frontier = paretoFrontier([p("first", 1, 1), p("second", 1, 1), p("nan", 0, NaN)], x, y);
    expect(names(frontier)).toEqual(["first"]);
  });

  it("answers 'best quality under a size' from the frontier", () => {
    expect(bestWithin(runs, 5, x, y)?.name).toBe("Q4_K_M");
    expect(bestWithin(runs, 100, x, y)?.name).toBe("Q8_0");
    expect(bestWithin(runs, 2, x, y)).toBeNull();
  });
});
