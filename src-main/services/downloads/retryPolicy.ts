/** How a download keeps trying through a bad network. */
export interface RetryPolicy {
  /** First wait after a failure, doubled per consecutive failure. Defaults to 1 s. */
  readonly baseDelayMs: number;
  /** Longest wait between tries. Defaults to 30 s. */
  readonly maxDelayMs: number;
  /**
   * Consecutive tries that bring no new bytes before the download fails. Any progress resets
   * the count, so a link that drops every minute still finishes. Defaults to 8.
   */
  readonly maxFailures: number;
  /** No bytes for this long counts as a stalled connection, which is retried. Defaults to 30 s. */
  readonly stallTimeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxFailures: 8,
  stallTimeoutMs: 30_000,
};

/** A failure worth trying again (a dropped connection, a timeout, a 5xx). */
export class RetryableError extends Error {
  constructor(
    message: string,
    /** What the server asked for (Retry-After), if anything. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = "RetryableError";
  }
}

/** The wait before try `failures + 1`: exponential with ±20 % jitter, capped. */
export function backoffDelay(
  policy: RetryPolicy,
  failures: number,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== null) {
    return Math.min(Math.max(retryAfterMs, policy.baseDelayMs), policy.maxDelayMs);
  }
  const exponential = policy.baseDelayMs * 2 ** Math.max(0, failures - 1);
  const jitter = 0.8 + 0.4 * random();
  return Math.round(Math.min(exponential, policy.maxDelayMs) * jitter);
}

/** Retry-After as seconds or an HTTP date, in milliseconds from now. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === "") {
    return null;
  }
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) {
    return seconds * 1000;
  }
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
