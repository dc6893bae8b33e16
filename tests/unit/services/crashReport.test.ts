import { describe, expect, it } from "vitest";
import { chooseThreads } from "../../../src-main/services/runtime/threads.js";
import { describeCrash } from "../../../src-main/services/runtime/workerProcess.js";

describe("crash reports", () => {
  it("quote llama.cpp's assertion and how the process ended", () => {
    const stderr = [
      "[llama.cpp] llama_model_loader: loaded meta data",
      "/src/llama-model.cpp:512: GGML_ASSERT(hparams.n_head() > 0) failed",
      "",
    ].join("\n");
    expect(describeCrash(stderr, { code: null, signal: "SIGABRT" })).toBe(
      "/src/llama-model.cpp:512: GGML_ASSERT(hparams.n_head() > 0) failed (it was killed by SIGABRT)",
    );
  });

  it("say how it ended when it printed nothing", () => {
    expect(describeCrash("", { code: 137, signal: null })).toBe("it exited with code 137");
  });
});

describe("thread choice", () => {
  it("keeps what the user asked for", () => {
    expect(chooseThreads(3, 2, "prebuilt")).toBe(3);
  });

  it("leaves a core free for the prebuilt binaries on a small machine", () => {
    expect(chooseThreads(0, 2, "prebuilt")).toBe(1);
    expect(chooseThreads(0, 2, "localBuild")).toBe(2);
  });
});
