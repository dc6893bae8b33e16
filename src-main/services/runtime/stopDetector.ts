/**
 * Finds stop strings in streamed text. Text that could still turn into a stop string is held
 * back until it is clear, so a reply never shows half of one ("\n" before the "\n" that ends it).
 */
export class StopDetector {
  private held = "";
  private emitted = "";
  private stoppedAt: string | null = null;

  constructor(private readonly stops: readonly string[]) {}

  get stopped(): boolean {
    return this.stoppedAt !== null;
  }

  /** The stop string that ended the text, if any. */
  get trigger(): string | null {
    return this.stoppedAt;
  }

  /** All text let through so far (the reply). */
  get text(): string {
    return this.emitted;
  }

  /** Adds generated text; returns the part that is safe to show now. */
  push(chunk: string): string {
    if (this.stoppedAt !== null) {
      return "";
    }
    const pending = this.held + chunk;
    let cut = -1;
    for (const stop of this.stops) {
      const index = stop === "" ? -1 : pending.indexOf(stop);
      if (index >= 0 && (cut < 0 || index < cut)) {
        cut = index;
        this.stoppedAt = stop;
      }
    }
    if (cut >= 0) {
      this.held = "";
      return this.release(pending.slice(0, cut));
    }
    const keep = this.longestStopPrefixAtEnd(pending);
    this.held = pending.slice(pending.length - keep);
    return this.release(pending.slice(0, pending.length - keep));
  }

  /** The reply ended for another reason: what was held back is text after all. */
  flush(): string {
    const rest = this.stoppedAt === null ? this.held : "";
    this.held = "";
    return this.release(rest);
  }

  private release(text: string): string {
    this.emitted += text;
    return text;
  }

  private longestStopPrefixAtEnd(text: string): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let length = Math.min(stop.length - 1, text.length); length > longest; length--) {
        if (text.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}
