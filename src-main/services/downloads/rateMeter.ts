/**
 * Bytes per second over the last few seconds. Read with the current time, so the rate falls to
 * zero while a transfer stalls instead of freezing at its last value.
 */
export class RateMeter {
  private samples: Array<{ t: number; bytes: number }> = [];

  constructor(private readonly windowMs = 5000) {}

  /** `bytes`: the running total received so far. */
  add(bytes: number, t = Date.now()): void {
    const last = this.samples.at(-1);
    if (last !== undefined && bytes < last.bytes) {
      // Started over from zero: old samples would read as a negative rate.
      this.samples = [];
    }
    this.samples.push({ t, bytes });
    const cutoff = t - this.windowMs;
    while (this.samples.length > 2 && (this.samples[1]?.t ?? t) <= cutoff) {
      this.samples.shift();
    }
  }

  /** Bytes per second, or null until there is something to measure. */
  rate(now = Date.now()): number | null {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (first === undefined || last === undefined || last === first) {
      return null;
    }
    const start = Math.max(first.t, now - this.windowMs);
    const span = now - start;
    if (span <= 0) {
      return null;
    }
    // Bytes that arrived inside the window, counted from the sample at (or before) its start.
    let base = first.bytes;
    for (const sample of this.samples) {
      if (sample.t <= start) {
        base = sample.bytes;
      }
    }
    return Math.max(0, (last.bytes - base) / (span / 1000));
  }

  reset(): void {
    this.samples = [];
  }
}
