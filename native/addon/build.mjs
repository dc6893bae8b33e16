// Builds native/addon (the set-up step "Building the native addon"; also `npm run build:addon`).
//  1. makes sure the llama.cpp source bundled in node-llama-cpp is unpacked (its headers);
//  2. asks node-llama-cpp which libllama/libggml it loads here (a local build in
//     llama/localBuilds wins over the prebuilt package, exactly as at run time);
//  3. runs node-gyp against those, and records what it linked in build/llama-link.json;
//  4. loads the result once in a child process to prove it links.
// Offline: node-gyp uses the Node headers already on the machine (npm's nodedir).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
// The package root, from its main entry (dist/index.js): package.json is not exported.
const nlcRoot = path.resolve(
  path.dirname(fileURLToPath(import.meta.resolve("node-llama-cpp"))),
  "..",
);
const llamaSrc = path.join(nlcRoot, "llama", "llama.cpp");

function fail(message, hint) {
  process.stderr.write(`native addon: ${message}\n${hint ? `  ${hint}\n` : ""}`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: "inherit", ...options });
  return result.status === 0;
}

if (!existsSync(path.join(llamaSrc, "include", "llama.h"))) {
  process.stderr.write("native addon: unpacking the llama.cpp source bundled in node-llama-cpp…\n");
  const ok = run(process.execPath, [
    path.join(nlcRoot, "dist", "cli", "cli.js"),
    "source",
    "download",
    "--skipBuild",
  ]);
  if (!ok || !existsSync(path.join(llamaSrc, "include", "llama.h"))) {
    fail(
      `the llama.cpp headers are missing in ${llamaSrc}.`,
      "Run: npx --no node-llama-cpp source download --skipBuild",
    );
  }
}

const resolved = spawnSync(
  process.execPath,
  [path.join(here, "scripts", "resolve-llama-libs.mjs")],
  {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  },
);
let link;
try {
  link = JSON.parse(resolved.stdout.trim().split("\n").at(-1) ?? "");
} catch {
  fail(
    "node-llama-cpp could not tell which llama.cpp libraries it uses on this machine.",
    "Check that node-llama-cpp installed its binaries (npm install), then run: npm run build:addon",
  );
}
for (const key of ["libllama", "libggml", "libggmlBase"]) {
  if (typeof link[key] !== "string" || !existsSync(link[key])) {
    fail(
      `no ${key} next to ${link.libllama ?? "libllama"} (found: ${link[key]}).`,
      "The node-llama-cpp binary folder looks incomplete; reinstall it or rebuild it from source.",
    );
  }
}

const nodeGyp = require.resolve("node-gyp/bin/node-gyp.js");
const args = [
  nodeGyp,
  "rebuild",
  `--jobs=${os.availableParallelism()}`,
  `--llama_src_dir=${llamaSrc}`,
  `--llama_lib_dir=${link.libDir}`,
  `--llama_lib_rel=${path.relative(path.join(here, "build", "Release"), link.libDir)}`,
  `--llama_lib=${link.libllama}`,
  `--ggml_lib=${link.libggml}`,
  `--ggml_base_lib=${link.libggmlBase}`,
];
const nodeDir = process.env.npm_config_nodedir ?? installedNodeDir();
if (nodeDir !== null) {
  args.push(`--nodedir=${nodeDir}`);
}
process.stderr.write(
  `native addon: linking against ${link.libDir} (${link.buildType}, llama.cpp ${link.llamaCppRelease})\n`,
);
if (!run(process.execPath, args, { cwd: here })) {
  fail("node-gyp could not build the addon (see above).", "A C++17 compiler and make are needed.");
}
const built = path.join(here, "build", "Release", "lowbit_addon.node");
mkdirSync(path.dirname(built), { recursive: true });
writeFileSync(
  path.join(here, "build", "llama-link.json"),
  `${JSON.stringify({ ...link, addon: built, node: process.version, builtAt: new Date().toISOString() }, null, 2)}\n`,
);
const probe = spawnSync(
  process.execPath,
  [
    "--input-type=module",
    "-e",
    `import { createRequire } from "node:module"; const a = createRequire(import.meta.url)(${JSON.stringify(built)}); process.stdout.write(a.systemInfo().libraryDir);`,
  ],
  { encoding: "utf8" },
);
if (probe.status !== 0) {
  fail(`the built addon does not load: ${probe.stderr.trim()}`, "Run: npm run build:addon");
}
process.stderr.write(`native addon: built ${path.relative(process.cwd(), built)}\n`);

/** Node's own headers, where a distribution installed them next to the binary (/usr, /usr/local). */
function installedNodeDir() {
  const root = path.resolve(path.dirname(process.execPath), "..");
  return existsSync(path.join(root, "include", "node", "node_api.h")) ? root : null;
}
