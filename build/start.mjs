// `npm start`: the desktop app when Electron's binary is installed; otherwise the same app in the
// browser through `lowbit serve`, with a clear word about why.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

function electronBinary() {
  try {
    // The electron package exports the binary's path, and throws when the binary was never fetched.
    const binary = require("electron");
    return typeof binary === "string" && existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

if (!existsSync("out/node/cli/main.js") || !existsSync("out/renderer/index.html")) {
  process.stderr.write("Lowbit is not built yet: run `npm install` (or `npm run build`) first.\n");
  process.exit(1);
}

const binary = electronBinary();
const extra = process.argv.slice(2);
const child =
  binary !== null
    ? spawn(binary, [".", ...extra], { stdio: "inherit" })
    : (process.stderr.write(
        "Electron's binary is not installed on this machine (its download is blocked or was skipped),\n" +
          "so Lowbit starts in browser mode instead: the same app, served on 127.0.0.1.\n\n",
      ),
      spawn(process.execPath, ["bin/lowbit.js", "serve", ...extra], { stdio: "inherit" }));

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => process.exit(signal !== null ? 1 : (code ?? 0)));
