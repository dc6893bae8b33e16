// Prints, as one JSON line, where the libllama/libggml that node-llama-cpp loads on this machine
// live. Asks node-llama-cpp itself (same binary resolution as the app: a local build in
// llama/localBuilds wins over the prebuilt package), then reads the loaded library paths from
// Node's diagnostic report, so no path is hard-coded. Run as a script, never with `node -e`
// (node-llama-cpp's binary self-test forks with the parent's execArgv).
import path from "node:path";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const gpu = gpuOption(process.env.LOWBIT_GPU);
const llama = await getLlama({ build: "never", gpu, logLevel: LlamaLogLevel.error });
const loaded = process.report.getReport().sharedObjects ?? [];
const libllama = loaded.find((file) =>
  /(^|[\\/])(lib)?llama(\.v[\d.]+)?\.(so|dylib|dll)$/.test(file),
);
if (libllama === undefined) {
  console.error(
    "node-llama-cpp loaded, but no libllama is among the process's shared objects:\n  " +
      loaded.filter((f) => /llama|ggml/.test(f)).join("\n  "),
  );
  process.exit(1);
}
const libDir = path.dirname(libllama);
const inDir = (pattern) =>
  loaded.find((f) => path.dirname(f) === libDir && pattern.test(path.basename(f)));
const result = {
  libDir,
  libllama,
  libggml: inDir(/^(lib)?ggml(\.v[\d.]+)?\.(so|dylib|dll)$/) ?? null,
  libggmlBase: inDir(/^(lib)?ggml-base(\.v[\d.]+)?\.(so|dylib|dll)$/) ?? null,
  buildType: llama.buildType,
  gpu: llama.gpu,
  llamaCppRelease: llama.llamaCppRelease.release,
};
await llama.dispose();
process.stdout.write(`${JSON.stringify(result)}\n`);

function gpuOption(value) {
  if (value === "false" || value === "off" || value === "cpu") {
    return false;
  }
  return value === "cuda" || value === "vulkan" || value === "metal" ? value : "auto";
}
