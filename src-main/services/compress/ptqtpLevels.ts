import { addonLinkInfo } from "../native/loadAddon.js";
import {
  EXTENDED_RUNTIME,
  judgeExtendedRuntime,
  readExtendedBuildOutcome,
} from "../runtime/extendedRuntime.js";
import type { LevelDefinition } from "./levels.js";

/**
 * The PTQTP stops (native/ggml-ext): every linear weight as two ternary planes with an fp16
 * scale per plane per 128 weights. Token embeddings go to Q4_K and the output to Q6_K, as
 * llama.cpp does for its ternary types (native/patches/0002). They need the Lowbit extended
 * runtime; docs/benchmarks.md has what they cost and gain.
 */
export const ptqtpLevels: readonly LevelDefinition[] = [
  {
    name: "PTQTP2",
    baseType: "PTQTP2",
    ftype: 97,
    family: "ternary",
    nominalBpw: 4.25,
    extended: true,
    note:
      "Lowbit's dual trit-plane format, 2-bit packed: between Q3_K_S and Q4_K_M in size and " +
      "speed. Calibrated (the default) it loses less than Q3_K_S with an importance matrix; " +
      "plain, a little more (docs/benchmarks.md).",
  },
  {
    name: "PTQTP1",
    baseType: "PTQTP1",
    ftype: 96,
    family: "ternary",
    nominalBpw: 3.5,
    extended: true,
    note:
      "Lowbit's dual trit-plane format, packed base-3: the smaller PTQTP, same quality as " +
      "PTQTP2 but about half Q4_K_M's decode speed on a CPU. Calibrated (the default) it loses " +
      "less than Q3_K_S with an importance matrix; Q3_K_S calibrated the same way loses less.",
  },
];

/**
 * Why a level that needs the extended runtime cannot be made here, when llama.cpp's dry run
 * refused it: from what the set-up recorded and which libraries the addon linked (the probe in
 * the worker is what refused; this only explains it).
 */
export function extendedLevelUnavailableReason(level: LevelDefinition): string {
  const link = addonLinkInfo();
  const status = judgeExtendedRuntime(
    link?.buildType ?? "prebuilt",
    () => ({}),
    readExtendedBuildOutcome(),
  );
  const why =
    link?.buildType === "localBuild"
      ? "the local llama.cpp build does not know its type (rebuild it: `npm install`)."
      : (status.reason ?? "it is not loaded.");
  return `${level.name} needs ${EXTENDED_RUNTIME}: ${why}`;
}
