import { describe, expect, it } from "vitest";
import { StopDetector } from "../../../src-main/services/runtime/stopDetector.js";

function feed(stops: string[], chunks: string[]) {
  const detector = new StopDetector(stops);
  const shown = chunks.map((c) => detector.push(c));
  shown.push(detector.flush());
  return { shown, text: detector.text, stopped: detector.stopped, trigger: detector.trigger };
}

describe("stop strings in streamed text", () => {
  it("holds back what could start a stop string, and cuts at the stop", () => {
    const result = feed(["\n\n"], ["It was late.", "\n", "\n", "Next day"]);
    expect(result.shown).toEqual(["It was late.", "", "", "", ""]);
    expect(result).toMatchObject({ text: "It was late.", stopped: true, trigger: "\n\n" });
  });

  it("lets held text through when it turns out not to be a stop", () => {
    const result = feed(["\n\n"], ["one\n", "two"]);
    expect(result.shown).toEqual(["one", "\ntwo", ""]);
    expect(result.text).toBe("one\ntwo");
    expect(result.stopped).toBe(false);
  });

  it("finds a stop inside one chunk and across chunks, the earliest of several", () => {
    expect(feed(["END", "<|im_end|>"], ["abc<|im_", "end|>xyz END"]).text).toBe("abc");
    expect(feed(["b", "abc"], ["xxabc"]).text).toBe("xx");
  });

  it("releases held text when the reply ends for another reason", () => {
    const result = feed(["\n\n"], ["tail\n"]);
    expect(result.shown).toEqual(["tail", "\n"]);
    expect(result.text).toBe("tail\n");
  });

  it("with no stop strings, passes everything through", () => {
    expect(feed([], ["a", "b"]).shown).toEqual(["a", "b", ""]);
  });
});
