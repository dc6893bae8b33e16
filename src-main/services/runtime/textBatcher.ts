/** How often streamed text crosses the process boundary at most: about once per screen frame. */
export const TEXT_BATCH_MS = 16;

/**
 * Gathers streamed text and passes it on at most once per `intervalMs`: a small model writes a
 * token every 2–3 ms, and one message per token costs the worker more than the token itself.
 * A slow model's tokens still go out one by one, as soon as they come.
 */
export class TextBatcher {
  private pending = "";
  private lastSent = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly send: (text: string) => void,
    private readonly intervalMs = TEXT_BATCH_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  push(text: string): void {
    this.pending += text;
    const wait = this.lastSent + this.intervalMs - this.now();
    if (wait <= 0) {
      this.flush();
    } else {
      this.timer ??= setTimeout(() => this.flush(), wait);
    }
  }

  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending !== "") {
      const text = this.pending;
      this.pending = "";
      this.lastSent = this.now();
      this.send(text);
    }
  }
}
