// `npm test`: build, static checks, then every test tier. Stops at the first failing step.
import { spawnSync } from "node:child_process";

const steps = [
  ["build", "npm", ["run", "build", "--silent"]],
  ["lint", "npm", ["run", "lint", "--silent"]],
  ["typecheck", "npm", ["run", "typecheck", "--silent"]],
  ["unit, contract and model tests", "npx", ["--no", "--", "vitest", "run"]],
  ["end-to-end tests in Chromium", "npx", ["--no", "--", "playwright", "test"]],
];

const total = Date.now();
for (const [title, command, args] of steps) {
  const started = Date.now();
  process.stderr.write(`\n=== ${title}\n`);
  const result = spawnSync(command, args, {
    stdio: "inherit",
    shell: process.platform === "win32",
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    process.stderr.write(`=== ${title}: FAILED after ${seconds} s\n`);
    process.exit(result.status ?? 1);
  }
  process.stderr.write(`=== ${title}: ok in ${seconds} s\n`);
}
process.stderr.write(`\nAll tests passed in ${((Date.now() - total) / 1000).toFixed(0)} s.\n`);
