import { describe, expect, it } from "vitest";
import {
  evictionRange,
  fullTokens,
  planPrompt,
  type PlanInput,
} from "../../../src-main/services/runtime/promptPlan.js";

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const base: Omit<PlanInput, "cache" | "prompt"> = {
  evicted: [],
  sinks: 4,
  promptSinks: 4,
  contextSize: 256,
  policy: "window",
  window: 100,
};

describe("planning a prompt into a cache", () => {
  it("reuses the common prefix and evaluates the rest", () => {
    const plan = planPrompt({ ...base, cache: range(0, 50), prompt: [...range(0, 40), 900, 901] });
    expect(plan).toMatchObject({ keep: 40, feed: [900, 901], evicted: [], cachedTokens: 40 });
  });

  it("always evaluates at least the last prompt token", () => {
    const plan = planPrompt({ ...base, cache: range(0, 10), prompt: range(0, 10) });
    expect(plan).toMatchObject({ keep: 9, feed: [9] });
  });

  it("after an eviction, maps the prompt past the evicted stretch", () => {
    // Full list 0..199; the cache holds 0..3 (sinks), then 60..199 (56 evicted).
    const cache = [...range(0, 4), ...range(60, 200)];
    const evicted = range(4, 60);
    expect(fullTokens({ cache, evicted, sinks: 4 })).toEqual(range(0, 200));
    const plan = planPrompt({ ...base, cache, evicted, prompt: [...range(0, 200), 7, 8] });
    expect(plan).toMatchObject({ keep: cache.length, feed: [7, 8], sinks: 4 });
    expect(plan.evicted).toEqual(evicted);
  });

  it("a change inside the evicted stretch keeps only the sinks", () => {
    const cache = [...range(0, 4), ...range(60, 200)];
    const prompt = [...range(0, 30), 999, ...range(31, 120)];
    const plan = planPrompt({ ...base, cache, evicted: range(4, 60), prompt });
    expect(plan.keep).toBe(4);
    expect(plan.evicted).toEqual([]);
    expect(plan.feed).toEqual(prompt.slice(4));
  });

  it("a fresh prompt longer than the context keeps the sinks and the last `window` tokens", () => {
    const prompt = range(0, 1000);
    const plan = planPrompt({ ...base, cache: [], prompt });
    expect(plan.keep).toBe(0);
    expect(plan.feed).toEqual([...range(0, 4), ...range(900, 1000)]);
    expect(plan.evicted).toEqual(range(4, 900));
    expect(plan.feed.length).toBeLessThan(base.contextSize);
  });

  it("without eviction, never pre-evicts (the layout dropped whole messages instead)", () => {
    const plan = planPrompt({ ...base, policy: "none", cache: [], prompt: range(0, 200) });
    expect(plan.feed).toEqual(range(0, 200));
  });

  it("a full cache keeps its sinks and the newest `window` tokens", () => {
    expect(evictionRange(255, 4, 100)).toEqual({ start: 4, end: 155 });
    expect(evictionRange(50, 4, 100)).toEqual({ start: 4, end: 5 });
  });
});
