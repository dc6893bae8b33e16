// Builds the Lowbit extended runtime: the llama.cpp source bundled in node-llama-cpp with our
// ggml types (the set-up step "Building the extended llama.cpp runtime"; also
// `node native/patches/extended-build.mjs`). Offline.
//  1. unpacks the bundled source if needed (`node-llama-cpp source download --skipBuild`);
//  2. copies native/ggml-ext into ggml/src/ggml-lowbit, where the patches' CMake lines expect it;
//  3. applies native/patches/*.patch with `git apply`, skipping any already applied;
//  4. builds with `node-llama-cpp source build --gpu false` (getLlama() then loads this build);
//  5. records the outcome in native/patches/build/outcome.json, which the app reads to say why
//     extended levels are unavailable.
// It never fails the set-up: on any problem it says why and the app runs on the prebuilt
// binaries. Nothing is rebuilt when the sources match the last successful build.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const extDir = path.resolve(here, "..", "ggml-ext");
const outcomePath = path.join(here, "build", "outcome.json");
const nlcRoot = path.resolve(path.dirname(fileURLToPath(import.meta.resolve("node-llama-cpp"))), "..");
const nlcCli = path.join(nlcRoot, "dist", "cli", "cli.js");
const llamaSrc = path.join(nlcRoot, "llama", "llama.cpp");
const gpu = process.env.LOWBIT_EXTENDED_GPU ?? "false";
const started = Date.now();

const say = (line) => process.stderr.write(`extended runtime: ${line}\n`);

function run(command, args, options = {}) {
  return spawnSync(command, args, { encoding: "utf8", ...options });
}

function record(status, details) {
  mkdirSync(path.dirname(outcomePath), { recursive: true });
  const outcome = {
    status,
    ...details,
    gpu,
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    seconds: Math.round((Date.now() - started) / 1000),
    at: new Date().toISOString(),
  };
  writeFileSync(outcomePath, `${JSON.stringify(outcome, null, 2)}\n`);
  return outcome;
}

function giveUp(reason, hint) {
  say(`not built: ${reason}`);
  if (hint) {
    say(hint);
  }
  say("Lowbit will run on the prebuilt llama.cpp binaries; PTQTP levels stay unavailable.");
  record("failed", { reason, hint: hint ?? null });
  process.exit(0);
}

if (process.env.LOWBIT_SKIP_EXTENDED === "1") {
  say("skipped (LOWBIT_SKIP_EXTENDED=1).");
  record("skipped", { reason: "The set-up was told to skip it (LOWBIT_SKIP_EXTENDED=1)." });
  process.exit(0);
}

// 1. The source.
if (!existsSync(path.join(llamaSrc, "include", "llama.h"))) {
  say("unpacking the llama.cpp source bundled in node-llama-cpp…");
  const r = run(process.execPath, [nlcCli, "source", "download", "--skipBuild"], {
    stdio: "inherit",
  });
  if (r.status !== 0 || !existsSync(path.join(llamaSrc, "include", "llama.h"))) {
    giveUp(
      "the llama.cpp source could not be unpacked.",
      "Run: npx --no node-llama-cpp source download --skipBuild",
    );
  }
}

// 2. Our sources, where the patched CMake lists look for them.
const extFiles = readdirSync(extDir).filter((f) => /\.(c|h)$/.test(f));
const target = path.join(llamaSrc, "ggml", "src", "ggml-lowbit");
mkdirSync(target, { recursive: true });
for (const file of extFiles) {
  const from = path.join(extDir, file);
  const to = path.join(target, file);
  // Copy only what changed, so an incremental build recompiles only that.
  if (!existsSync(to) || !readFileSync(to).equals(readFileSync(from))) {
    copyFileSync(from, to);
  }
}

// 3. The patches, in order; one already applied is left alone.
const patches = readdirSync(here)
  .filter((f) => f.endsWith(".patch"))
  .sort();
for (const patch of patches) {
  const file = path.join(here, patch);
  if (run("git", ["apply", "--reverse", "--check", file], { cwd: llamaSrc }).status === 0) {
    continue;
  }
  const check = run("git", ["apply", "--check", file], { cwd: llamaSrc });
  if (check.status !== 0) {
    giveUp(
      `${patch} does not apply to the bundled llama.cpp: ${(check.stderr || check.error?.message || "").trim()}`,
      "The bundled llama.cpp changed (node-llama-cpp was upgraded?): the patches need updating.",
    );
  }
  run("git", ["apply", file], { cwd: llamaSrc });
  say(`applied ${patch}`);
}

// 4. The build, unless the last one was made from exactly these sources.
const fingerprint = createHash("sha256");
for (const file of [...patches.map((p) => path.join(here, p)), ...extFiles.map((f) => path.join(extDir, f))]) {
  fingerprint.update(path.basename(file)).update(readFileSync(file));
}
fingerprint.update(readFileSync(path.join(nlcRoot, "llama", "llama.cpp.info.json")));
fingerprint.update(`${gpu} ${process.version}`);
const hash = fingerprint.digest("hex").slice(0, 16);
const previous = readPrevious();
const folder = buildFolder();
if (
  previous?.status === "built" &&
  previous.fingerprint === hash &&
  folder !== null &&
  existsSync(path.join(folder, "Release", "llama-addon.node"))
) {
  say(`up to date (${path.relative(process.cwd(), folder)}).`);
  process.exit(0);
}
say(
  `building llama.cpp with Lowbit's types (gpu: ${gpu}); about 5 minutes on 2 cores, ${os.availableParallelism()} here…`,
);
const build = run(process.execPath, [nlcCli, "source", "build", "--gpu", gpu, "--noUsageExample"], {
  stdio: ["ignore", "inherit", "inherit"],
});
const built = buildFolder();
if (build.status !== 0 || built === null) {
  giveUp(
    `node-llama-cpp source build exited with ${build.status ?? build.signal} (see the lines above).`,
    "A C/C++ compiler and CMake are needed; rerun with: node native/patches/extended-build.mjs",
  );
}
const outcome = record("built", {
  fingerprint: hash,
  buildFolder: built,
  patches,
  llamaCpp: JSON.parse(readFileSync(path.join(nlcRoot, "llama", "llama.cpp.info.json"), "utf8")),
});
say(`built in ${outcome.seconds} s: ${path.relative(process.cwd(), built)}`);

function readPrevious() {
  try {
    return JSON.parse(readFileSync(outcomePath, "utf8"));
  } catch {
    return null;
  }
}

/** The local build node-llama-cpp made last (llama/lastBuild.json names its folder). */
function buildFolder() {
  try {
    const last = JSON.parse(readFileSync(path.join(nlcRoot, "llama", "lastBuild.json"), "utf8"));
    const name = last?.folderName;
    const dir = typeof name === "string" ? path.join(nlcRoot, "llama", "localBuilds", name) : null;
    return dir !== null && existsSync(path.join(dir, "buildDone.status")) ? dir : null;
  } catch {
    return null;
  }
}
