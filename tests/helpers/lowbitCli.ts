/**
 * The `lowbit` command from source, for tests that need it as a process of its own (to kill it
 * mid-job): `node --import tsx tests/helpers/lowbitCli.ts <args>`.
 */
import { main } from "../../src-main/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
