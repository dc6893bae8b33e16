import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HomeInstances } from "../../../src-main/services/config/homeInstances.js";
import { openLowbit } from "../../../src-main/services/lowbit.js";
import { makeTempDir } from "../../helpers/tempDir.js";

/** A live process that is not this one, standing in for the app while a CLI command opens its home. */
function otherProcess(): ChildProcess {
  return spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
}

describe("processes sharing one home", () => {
  const children: ChildProcess[] = [];
  const temps: Array<ReturnType<typeof makeTempDir>> = [];
  afterEach(() => {
    for (const child of children.splice(0)) {
      child.kill();
    }
    for (const temp of temps.splice(0)) {
      temp.cleanup();
    }
  });

  it("a second process leaves the first one's running job and its partial file alone", async () => {
    const temp = makeTempDir();
    temps.push(temp);
    const app = await openLowbit({ home: temp.dir, shell: "test", registerStarterModel: false });
    const partial = path.join(temp.dir, "sweep.partial");
    writeFileSync(partial, "half a model");
    app.db
      .prepare(
        "INSERT INTO jobs (id, kind, title, state, params, partial_path, created_at, updated_at) VALUES ('j1', 'sweep', 'Compare levels', 'running', '{}', ?, 't', 't')",
      )
      .run(partial);
    app.close();

    // The app (another live process) still has the home open: a CLI command opening it must
    // not fail the app's job.
    const child = otherProcess();
    children.push(child);
    mkdirSync(path.join(temp.dir, "instances"), { recursive: true });
    writeFileSync(path.join(temp.dir, "instances", String(child.pid)), "");
    const cli = await openLowbit({ home: temp.dir, shell: "cli", registerStarterModel: false });
    expect(cli.jobs.get("j1")?.state).toBe("running");
    expect(existsSync(partial)).toBe(true);
    cli.close();

    // Once that process is gone, the job was interrupted: the next start fails it and cleans up.
    child.kill();
    await new Promise((resolve) => child.once("exit", resolve));
    const next = await openLowbit({ home: temp.dir, shell: "test", registerStarterModel: false });
    expect(next.jobs.get("j1")).toMatchObject({
      state: "failed",
      error: { message: expect.stringMatching(/stopped while this job was running/) },
    });
    expect(existsSync(partial)).toBe(false);
    next.close();
  });

  it("registers while open, forgets on close, and drops files of dead processes", async () => {
    const temp = makeTempDir();
    temps.push(temp);
    const dir = path.join(temp.dir, "instances");
    mkdirSync(dir, { recursive: true });
    // A pid that cannot be alive (beyond Linux's pid_max).
    writeFileSync(path.join(dir, "99999999"), "");
    const app = await openLowbit({ home: temp.dir, shell: "test", registerStarterModel: false });
    expect(existsSync(path.join(dir, String(process.pid)))).toBe(true);
    expect(existsSync(path.join(dir, "99999999"))).toBe(false);
    app.close();
    expect(existsSync(path.join(dir, String(process.pid)))).toBe(false);
    expect(new HomeInstances(temp.dir, 1234).others()).toEqual([]);
  });
});
