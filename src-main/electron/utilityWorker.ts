import { utilityProcess } from "electron";
import { CloseNotifier } from "../rpc/transport.js";
import {
  TailBuffer,
  type WorkerExit,
  type WorkerSpawner,
} from "../services/runtime/workerProcess.js";

/** The model worker as an Electron utility process (Node child processes are discouraged in Electron). */
export function utilityProcessSpawner(entry: string): WorkerSpawner {
  return () => {
    const child = utilityProcess.fork(entry, [], {
      stdio: "pipe",
      serviceName: "Lowbit model worker",
    });
    const tail = new TailBuffer();
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => tail.push(chunk));
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => tail.push(chunk));
    const closed = new CloseNotifier();
    const exitListeners: Array<(exit: WorkerExit) => void> = [];
    let exited: WorkerExit | null = null;
    child.on("exit", (code) => {
      // Give stderr a moment to drain so the crash report has llama.cpp's last words.
      setTimeout(() => {
        exited = { code, signal: null };
        for (const listener of exitListeners) {
          listener(exited);
        }
        closed.fire(`exit code ${code}`);
      }, 50);
    });
    return {
      transport: {
        send: (message) => child.postMessage(message),
        onMessage: (listener) => child.on("message", (message: unknown) => listener(message)),
        onClose: (listener) => closed.add(listener),
        close: () => {
          child.kill();
          closed.fire("closed");
        },
      },
      stderrTail: () => tail.toString(),
      onExit: (listener) => (exited !== null ? listener(exited) : exitListeners.push(listener)),
      kill: () => {
        child.kill();
      },
    };
  };
}
