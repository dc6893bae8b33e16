/** Runs the `lowbit` CLI from source in a child process (tests use it through cliProcess.ts). */
import { main } from "../../../src-main/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
