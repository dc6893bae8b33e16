/**
 * Entry of the short-lived process that checks which llama.cpp node-llama-cpp loads here
 * (prints one JSON line: ExtendedRuntimeStatus). A process of its own, because native model code
 * never runs in the app's process; forked once per app run by ExtendedRuntimeProbe.
 */
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { judgeExtendedRuntime, readExtendedBuildOutcome } from "./extendedRuntime.js";

interface TypeSizeBindings {
  getBlockSizeForGgmlType(type: number): number | undefined;
  getTypeSizeForGgmlType(type: number): number | undefined;
}

// The same binary choice as the model worker (modelWorker.ts): LOWBIT_GPU, else "auto".
const wanted = process.env.LOWBIT_GPU;
const gpu =
  wanted === "false" || wanted === "off" || wanted === "cpu"
    ? false
    : wanted === "cuda" || wanted === "vulkan" || wanted === "metal"
      ? wanted
      : "auto";
const llama = await getLlama({ build: "never", gpu, logLevel: LlamaLogLevel.error });
// node-llama-cpp reads these sizes from the loaded ggml (addon.cpp); not part of its public API.
const bindings = (llama as unknown as { _bindings: TypeSizeBindings })._bindings;
const status = judgeExtendedRuntime(
  llama.buildType,
  (id) => ({
    blockSize: bindings.getBlockSizeForGgmlType(id),
    typeSize: bindings.getTypeSizeForGgmlType(id),
  }),
  readExtendedBuildOutcome(),
);
await llama.dispose();
process.stdout.write(`${JSON.stringify(status)}\n`);
