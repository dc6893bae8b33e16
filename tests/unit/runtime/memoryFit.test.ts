import { safetyMargin } from "../../../src-main/services/memory/headerMemory.js";
import { describe, expect, it } from "vitest";
import { kvSettingsDefaults } from "../../../src-main/contract/index.js";
import { describeShortfall, fitEstimate } from "../../../src-main/services/runtime/memoryFit.js";

const MiB = 2 ** 20;
const estimate = {
  weightsRamBytes: 100 * MiB,
  weightsVramBytes: 0,
  contextRamBytes: 30 * MiB,
  contextVramBytes: 0,
  kvBytes: 6 * MiB,
  cells: 2048,
  method: "dry-run" as const,
};

describe("does it fit", () => {
  it("counts weights, KV and compute against free memory plus what unloading returns, minus a margin", () => {
    const fit = fitEstimate("m", 2048, kvSettingsDefaults, estimate, {
      limitBytes: null,
      reclaimableBytes: 50 * MiB,
      freeBytes: 1200 * MiB,
      totalBytes: 16 * 2 ** 30,
    });
    expect(fit).toMatchObject({
      ramBytes: 130 * MiB,
      computeBytes: 24 * MiB,
      availableBytes: 1250 * MiB,
      marginBytes: 2 ** 30,
      fits: true,
    });
    const tight = fitEstimate("m", 2048, kvSettingsDefaults, estimate, {
      limitBytes: null,
      reclaimableBytes: 0,
      freeBytes: 1100 * MiB,
      totalBytes: 16 * 2 ** 30,
    });
    expect(tight.fits).toBe(false);
  });

  it("a user limit replaces free memory and needs no margin", () => {
    const fit = fitEstimate("m", 2048, kvSettingsDefaults, estimate, {
      limitBytes: 128 * MiB,
      reclaimableBytes: 0,
      freeBytes: 64 * 2 ** 30,
    });
    expect(fit).toMatchObject({ availableBytes: 128 * MiB, marginBytes: 0, fits: false });
    expect(describeShortfall("Tiny", fit)).toBe(
      "Tiny needs about 130.0 MiB of RAM with a 2048-token context (weights 100.0 MiB, KV cache " +
        "6.0 MiB as f16/f16, compute 24.0 MiB), but your memory limit is 128.0 MiB.",
    );
  });

  it("keeps a tenth of a small machine's memory free, at most 1 GiB", () => {
    expect(safetyMargin(4 * 2 ** 30)).toBe(Math.floor((4 * 2 ** 30) / 10));
    expect(safetyMargin(64 * 2 ** 30)).toBe(2 ** 30);
  });
});
