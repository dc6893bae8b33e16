import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { processIsAlive } from "./processAlive.js";

/**
 * The Lowbit processes that have one home open: the app, `lowbit serve` and any CLI command.
 * Each registers a file named after its pid. Start-up recovery (failing jobs and runs left
 * "running", deleting their partial files) is only safe when no other live process has the home
 * open: otherwise those jobs may be that process's, still running — a `lowbit runs list` during
 * the app's sweep must not fail the sweep or delete what it is writing.
 */
export class HomeInstances {
  private readonly dir: string;
  private readonly own: string;

  constructor(
    home: string,
    private readonly pid: number = process.pid,
  ) {
    this.dir = path.join(home, "instances");
    this.own = path.join(this.dir, String(pid));
  }

  /** Registers this process; returns the pids of other live processes with the home open. */
  register(): number[] {
    mkdirSync(this.dir, { recursive: true });
    const others = this.others();
    writeFileSync(this.own, `${new Date().toISOString()}\n`);
    return others;
  }

  /** Other live processes with the home open; files left by dead processes are removed. */
  others(): number[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const alive: number[] = [];
    for (const name of names) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid <= 0 || pid === this.pid) {
        continue;
      }
      if (processIsAlive(pid)) {
        alive.push(pid);
      } else {
        rmSync(path.join(this.dir, name), { force: true });
      }
    }
    return alive;
  }

  unregister(): void {
    rmSync(this.own, { force: true });
  }
}
