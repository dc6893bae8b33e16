#!/usr/bin/env node
// The `lowbit` command. The CLI is compiled from src-main/cli by `npm run build`.
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const entry = fileURLToPath(new URL("../out/node/cli/main.js", import.meta.url));
if (!existsSync(entry)) {
  process.stderr.write(
    "Lowbit is not built yet. Run `npm install` (or `npm run build`) in its folder first.\n",
  );
  process.exit(1);
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
