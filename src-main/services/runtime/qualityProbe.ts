import type { QualityProbe } from "../../contract/index.js";

/** A next-token distribution cut to its most likely tokens; the rest is one bucket. */
export interface TopDistribution {
  /** Token id → probability, most likely first. */
  top: Array<[number, number]>;
}

/** Tokens kept per position: enough mass for a meaningful KL, small enough to hold in memory. */
export const PROBE_TOP_TOKENS = 64;
/** Mean KL above this (nats) is worth a warning: q8_0 caches stay far below it. */
export const PROBE_KL_THRESHOLD = 0.05;
export const PROBE_AGREEMENT_THRESHOLD = 0.9;

export function topDistribution(
  probabilities: ReadonlyMap<number, number>,
  keep = PROBE_TOP_TOKENS,
): TopDistribution {
  const top: Array<[number, number]> = [];
  for (const entry of probabilities) {
    top.push(entry); // node-llama-cpp returns the map sorted by probability, highest first.
    if (top.length >= keep) {
      break;
    }
  }
  return { top };
}

const EPSILON = 1e-10;

/**
 * KL(previous ‖ new) over the previous distribution's top tokens plus "everything else" as one
 * bucket. Merging tokens can only lower KL, so this is a lower bound on the full-vocabulary KL.
 */
export function bucketedKl(previous: TopDistribution, next: ReadonlyMap<number, number>): number {
  let kl = 0;
  let pMass = 0;
  let qMass = 0;
  for (const [token, p] of previous.top) {
    const q = Math.max(next.get(token) ?? 0, EPSILON);
    if (p > 0) {
      kl += p * Math.log(p / q);
    }
    pMass += p;
    qMass += q;
  }
  const pRest = Math.max(1 - pMass, 0);
  const qRest = Math.max(1 - qMass, EPSILON);
  if (pRest > EPSILON) {
    kl += pRest * Math.log(pRest / qRest);
  }
  return Math.max(0, kl);
}

export function argmax(distribution: ReadonlyMap<number, number> | TopDistribution): number | null {
  if ("top" in distribution) {
    return (distribution as TopDistribution).top[0]?.[0] ?? null;
  }
  let best: number | null = null;
  let bestP = -1;
  for (const [token, p] of distribution as ReadonlyMap<number, number>) {
    if (p > bestP) {
      best = token;
      bestP = p;
    }
  }
  return best;
}

export function compareDistributions(
  previous: readonly TopDistribution[],
  next: ReadonlyArray<ReadonlyMap<number, number>>,
): QualityProbe | null {
  const positions = Math.min(previous.length, next.length);
  if (positions === 0) {
    return null;
  }
  let sum = 0;
  let max = 0;
  let agree = 0;
  for (let i = 0; i < positions; i++) {
    const kl = bucketedKl(previous[i]!, next[i]!);
    sum += kl;
    max = Math.max(max, kl);
    if (argmax(previous[i]!) === argmax(next[i]!)) {
      agree++;
    }
  }
  const meanKl = sum / positions;
  const topAgreement = agree / positions;
  return {
    positions,
    meanKl,
    maxKl: max,
    topAgreement,
    degraded: meanKl > PROBE_KL_THRESHOLD || topAgreement < PROBE_AGREEMENT_THRESHOLD,
    klThreshold: PROBE_KL_THRESHOLD,
    agreementThreshold: PROBE_AGREEMENT_THRESHOLD,
  };
}
