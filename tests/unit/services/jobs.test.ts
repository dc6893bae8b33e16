import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AppError } from "../../../src-main/contract/index.js";
import { JobService } from "../../../src-main/services/jobs/jobService.js";
import { openDatabase } from "../../../src-main/services/storage/database.js";
import { makeTempDir } from "../../helpers/tempDir.js";

describe("jobs", () => {
  const temps: Array<{ cleanup(): void }> = [];
  afterEach(() => temps.splice(0).forEach((t) => t.cleanup()));
  function setup() {
    const temp = makeTempDir();
    temps.push(temp);
    const db = openDatabase(path.join(temp.dir, "lowbit.db"));
    return { db, dir: temp.dir, jobs: new JobService(db) };
  }

  it("record a finished job with its result", async () => {
    const { db, jobs } = setup();
    const result = await jobs.run("test", "Count", { n: 3 }, undefined, async (ctx) => {
      ctx.progress(0.5);
      return { counted: 3 };
    });
    expect(result).toEqual({ counted: 3 });
    expect(jobs.list(10)).toMatchObject([
      { kind: "test", title: "Count", state: "done", fraction: 1, result: { counted: 3 } },
    ]);
    db.close();
  });

  it("record a failure with its error data and delete the partial file", async () => {
    const { db, dir, jobs } = setup();
    const partial = path.join(dir, "out.gguf.partial");
    await expect(
      jobs.run("test", "Fail", {}, undefined, async (ctx) => {
        writeFileSync(partial, "half");
        ctx.setPartialPath(partial);
        throw new AppError("disk_full", "The disk filled up.", "Free some space.");
      }),
    ).rejects.toMatchObject({ code: "disk_full" });
    expect(existsSync(partial)).toBe(false);
    expect(jobs.list(10)[0]).toMatchObject({
      state: "failed",
      error: { code: "disk_full", hint: "Free some space." },
    });
    db.close();
  });

  it("mark a cancelled job as cancelled, not failed", async () => {
    const { db, jobs } = setup();
    const abort = new AbortController();
    const running = jobs.run(
      "test",
      "Wait",
      {},
      abort.signal,
      (ctx) =>
        new Promise((_, reject) =>
          ctx.signal.addEventListener("abort", () => reject(new Error("stopped"))),
        ),
    );
    abort.abort();
    await expect(running).rejects.toMatchObject({ code: "cancelled" });
    expect(jobs.list(10)[0]?.state).toBe("cancelled");
    db.close();
  });

  it("fail jobs a dead process left running, and remove what they had written", () => {
    const { db, dir, jobs } = setup();
    const partial = path.join(dir, "killed.partial");
    writeFileSync(partial, "half a model");
    db.prepare(
      "INSERT INTO jobs (id, kind, title, state, params, partial_path, created_at, updated_at) VALUES ('j1', 'import', 'Import', 'running', '{}', ?, 't', 't')",
    ).run(partial);
    expect(new JobService(db).recoverInterrupted()).toBe(1);
    expect(existsSync(partial)).toBe(false);
    expect(jobs.get("j1")).toMatchObject({
      state: "failed",
      error: { message: expect.stringMatching(/stopped while this job was running/) },
    });
    db.close();
  });
});
