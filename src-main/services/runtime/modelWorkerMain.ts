/**
 * Entry point of the model worker process (a Node child process under the host and the CLI,
 * an Electron utilityProcess under the desktop app). It serves the worker contract to its parent.
 */
import { serveContract } from "../../rpc/server.js";
import { createModelWorkerHandlers } from "./modelWorker.js";
import { parentTransport } from "./processTransport.js";
import { workerContract } from "./workerContract.js";

const transport = parentTransport();
serveContract(workerContract, createModelWorkerHandlers(), transport, {
  onWarning: (warning) => process.stderr.write(`[worker] ${warning.code}: ${warning.message}\n`),
});
// Without a parent there is nobody to serve: leave instead of lingering as an orphan.
transport.onClose(() => process.exit(0));
