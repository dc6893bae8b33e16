// `npm start`: the desktop app when Electron's binary is installed; otherwise the same app in the
// browser through `lowbit serve`, with a clear word about why.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * The Electron binary, if it is installed. Electron fetches its binary lazily on first
 * `require("electron")`, which hangs or fails offline, so look for the file instead.
 */
function electronBinary() {
  const root = path.join("node_modules", "electron");
  const pathFile = path.join(root, "path.txt");
  if (!existsSync(pathFile)) {
    return null;
  }
  const relative = readFileSync(pathFile, "utf8").trim();
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? path.join(root, "dist");
  const binary = path.join(dist, relative);
  return existsSync(binary) ? binary : null;
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
        "Electron's binary is not installed on this machine (its download is blocked or was skipped;\n" +
          "`npx install-electron --no` fetches it where the network allows), so Lowbit starts in\n" +
          "browser mode instead: the same app, served on 127.0.0.1.\n\n",
      ),
      spawn(process.execPath, ["bin/lowbit.js", "serve", ...extra], { stdio: "inherit" }));

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => process.exit(signal !== null ? 1 : (code ?? 0)));
