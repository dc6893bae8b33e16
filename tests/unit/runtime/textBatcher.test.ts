import { afterEach, describe, expect, it, vi } from "vitest";
import { TextBatcher } from "../../../src-main/services/runtime/textBatcher.js";

describe("streamed text batching", () => {
  afterEach(() => vi.useRealTimers());

  it("sends the first text at once, gathers what follows within the interval, and flushes the rest", () => {
    vi.useFakeTimers();
    let now = 1000;
    const sent: string[] = [];
    const batcher = new TextBatcher(
      (t) => sent.push(t),
      16,
      () => now,
    );
    batcher.push("Once");
    expect(sent).toEqual(["Once"]);
    now += 3;
    batcher.push(" upon");
    now += 3;
    batcher.push(" a");
    expect(sent).toEqual(["Once"]);
    now += 7;
    vi.advanceTimersByTime(13); // The timer set at " upon" fires 16 ms after "Once".
    expect(sent).toEqual(["Once", " upon a"]);
    now += 40;
    batcher.push(" time"); // A slow token goes out alone, without waiting.
    expect(sent).toEqual(["Once", " upon a", " time"]);
    now += 1;
    batcher.push(".");
    batcher.flush();
    expect(sent.join("")).toBe("Once upon a time.");
    vi.advanceTimersByTime(100);
    expect(sent).toHaveLength(4);
  });
});
