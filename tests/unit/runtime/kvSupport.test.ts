import { describe, expect, it } from "vitest";
import { kvSettingsDefaults, type KvSettings } from "../../../src-main/contract/index.js";
import {
  kvCapabilities,
  kvSettingsProblem,
  resolveWindow,
  type KvSupportInput,
} from "../../../src-main/services/runtime/kvSupport.js";

const geometry = { layers: 6, kvHeadsPerLayer: [2, 2, 2, 2, 2, 2], headDimK: 64, headDimV: 64 };
const input = (over: Partial<KvSupportInput> = {}): KvSupportInput => ({
  backend: "cpu",
  cudaAllQuants: false,
  geometry,
  flashAttentionSupported: true,
  ...over,
});
const settings = (over: Partial<KvSettings> = {}): KvSettings => ({
  ...kvSettingsDefaults,
  ...over,
});
const available = (caps: ReturnType<typeof kvCapabilities>) =>
  caps.types.filter((t) => t.available).map((t) => t.type);

describe("KV choices per backend", () => {
  it("CPU offers every type and mixed pairs", () => {
    const caps = kvCapabilities(input(), null);
    expect(available(caps)).toEqual(["f16", "q8_0", "q5_1", "q5_0", "q4_1", "q4_0", "iq4_nl"]);
    expect(caps.mixedTypes.allowed).toBe(true);
    expect(caps.otherBackends.map((o) => o.backend)).toEqual(["metal", "cuda", "vulkan"]);
  });

  it("Metal: no iq4_nl, and K must equal V, said before anything is built", () => {
    const caps = kvCapabilities(input({ backend: "metal" }), null);
    expect(available(caps)).not.toContain("iq4_nl");
    expect(caps.mixedTypes).toEqual({ allowed: false, reason: expect.stringMatching(/same type/) });
    expect(kvSettingsProblem(settings({ k: "q8_0", v: "q4_0" }), caps, 2048)).toMatch(
      /K and V must have the same type/,
    );
  });

  it("CUDA: f16, q8_0, q4_0 pairs by default; everything with FA_ALL_QUANTS", () => {
    const plain = kvCapabilities(input({ backend: "cuda" }), null);
    expect(available(plain)).toEqual(["f16", "q8_0", "q4_0"]);
    expect(plain.types.find((t) => t.type === "q5_0")?.reason).toMatch(/GGML_CUDA_FA_ALL_QUANTS/);
    const all = kvCapabilities(input({ backend: "cuda", cudaAllQuants: true }), null);
    expect(available(all)).toHaveLength(7);
    expect(all.mixedTypes.allowed).toBe(true);
  });

  it("a head size that is not a multiple of 32 rules out the quantized types", () => {
    const caps = kvCapabilities(
      input({ geometry: { ...geometry, headDimK: 80, headDimV: 80 } }),
      null,
    );
    expect(available(caps)).toEqual(["f16"]);
    expect(caps.types[1]?.reason).toMatch(/head size \(80\) is not a multiple of 32/);
  });

  it("a quantized V cache with flash attention off is refused with the reason", () => {
    const caps = kvCapabilities(input(), null);
    expect(kvSettingsProblem(settings({ v: "q4_0", flashAttention: "off" }), caps, 2048)).toMatch(
      /quantized V cache needs flash attention.*Set flash attention to auto or on/,
    );
    expect(
      kvSettingsProblem(settings({ k: "q4_0", flashAttention: "off" }), caps, 2048),
    ).toBeNull();
    expect(
      kvSettingsProblem(settings({ v: "q4_0", flashAttention: "auto" }), caps, 2048),
    ).toBeNull();
  });

  it("the window must leave room in the context; 0 means three quarters of it", () => {
    const caps = kvCapabilities(input(), null);
    const window = (w: number) => settings({ evict: { policy: "window", sinks: 4, window: w } });
    expect(kvSettingsProblem(window(2000), caps, 2048)).toBeNull();
    expect(kvSettingsProblem(window(2044), caps, 2048)).toMatch(/must be smaller than the context/);
    expect(resolveWindow(window(0), 2048)).toBe(1532);
    expect(resolveWindow(window(100), 2048)).toBe(100);
  });
});
