import { existsSync, statSync } from "node:fs";
import { readdirSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "../..");

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** The suite drives the built app; say so plainly when it is missing or older than its source. */
export default function globalSetup(): void {
  const page = path.join(root, "out/renderer/index.html");
  const cli = path.join(root, "out/node/cli/main.js");
  for (const file of [page, cli]) {
    if (!existsSync(file)) {
      throw new Error(`${path.relative(root, file)} is missing: run \`npm run build\` first.`);
    }
  }
  if (newestMtime(path.join(root, "src-renderer")) > statSync(page).mtimeMs) {
    process.stderr.write(
      "warning: src-renderer changed after the last build; run `npm run build` to test the change.\n",
    );
  }
  if (!existsSync("/usr/bin/chromium") && process.env.LOWBIT_CHROMIUM === undefined) {
    throw new Error("No Chromium at /usr/bin/chromium: `apt-get install -y chromium`.");
  }
}
