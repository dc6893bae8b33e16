import { describe, expect, it } from "vitest";
import {
  bucketedKl,
  compareDistributions,
  topDistribution,
} from "../../../src-main/services/runtime/qualityProbe.js";

const dist = (entries: Array<[number, number]>) => new Map(entries);

describe("the quality probe's arithmetic", () => {
  it("identical distributions: KL 0 and full agreement", () => {
    const p = dist([
      [1, 0.6],
      [2, 0.3],
      [3, 0.1],
    ]);
    const probe = compareDistributions([topDistribution(p)], [p])!;
    expect(probe.meanKl).toBeCloseTo(0, 12);
    expect(probe.topAgreement).toBe(1);
    expect(probe.degraded).toBe(false);
  });

  it("matches the exact KL when the top tokens cover the distribution", () => {
    const p = dist([
      [1, 0.5],
      [2, 0.5],
    ]);
    const q = dist([
      [1, 0.9],
      [2, 0.1],
    ]);
    const exact = 0.5 * Math.log(0.5 / 0.9) + 0.5 * Math.log(0.5 / 0.1);
    expect(bucketedKl(topDistribution(p), q)).toBeCloseTo(exact, 10);
  });

  it("with the tail merged into one bucket, never exceeds the full KL", () => {
    const p = dist([
      [1, 0.4],
      [2, 0.3],
      [3, 0.2],
      [4, 0.1],
    ]);
    const q = dist([
      [1, 0.25],
      [2, 0.25],
      [3, 0.25],
      [4, 0.25],
    ]);
    const full = [...p].reduce((s, [t, pt]) => s + pt * Math.log(pt / q.get(t)!), 0);
    const bucketed = bucketedKl(topDistribution(p, 2), q);
    expect(bucketed).toBeGreaterThan(0);
    expect(bucketed).toBeLessThanOrEqual(full + 1e-12);
  });

  it("flags a change of the most likely token on most positions as degraded", () => {
    const p = dist([
      [1, 0.7],
      [2, 0.3],
    ]);
    const q = dist([
      [2, 0.7],
      [1, 0.3],
    ]);
    const probe = compareDistributions([topDistribution(p), topDistribution(p)], [q, p])!;
    expect(probe.topAgreement).toBe(0.5);
    expect(probe.degraded).toBe(true);
    expect(probe.maxKl).toBeGreaterThan(probe.meanKl);
  });

  it("has nothing to say without positions", () => {
    expect(compareDistributions([], [])).toBeNull();
  });
});
