import { AppError } from "../../contract/index.js";

/** One holder at a time, first come first served; a waiter can give up its place by aborting. */
export class TurnQueue {
  private busy = false;
  private readonly waiting: Array<() => void> = [];

  /** Resolves with a release function once it is the caller's turn. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      let done = false;
      const release = (): void => {
        if (!done) {
          done = true;
          this.next();
        }
      };
      const take = (): void => {
        signal?.removeEventListener("abort", onAbort);
        this.busy = true;
        resolve(release);
      };
      const onAbort = (): void => {
        const at = this.waiting.indexOf(take);
        if (at >= 0) {
          this.waiting.splice(at, 1);
        }
        reject(new AppError("cancelled", "Cancelled."));
      };
      if (signal?.aborted) {
        reject(new AppError("cancelled", "Cancelled."));
        return;
      }
      if (!this.busy) {
        take();
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(take);
    });
  }

  private next(): void {
    const take = this.waiting.shift();
    if (take === undefined) {
      this.busy = false;
    } else {
      take();
    }
  }
}
