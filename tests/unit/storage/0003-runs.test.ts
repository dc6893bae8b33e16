import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { Run } from "../../../src-main/contract/index.js";
import { migrate, schemaVersion } from "../../../src-main/services/storage/database.js";
import { migrations } from "../../../src-main/services/storage/migrations/index.js";
import {
  failUnfinishedRuns,
  findRunByOutput,
  getRun,
  insertRun,
  listRuns,
  updateRun,
} from "../../../src-main/services/storage/queries/runs.js";

const insertModel = (id: string, sha: string) =>
  `INSERT INTO models (id, name, path, linked, source, sha256, size_bytes, arch, params, bpw,
    type_histogram, kind, has_chat_template, added_at)
    VALUES ('${id}', '${id}', '/models/${id}.gguf', 0, 'imported', '${sha}', 10, 'llama', 1, 16.0,
    '{}', 'base', 0, 't0')`;

function run(overrides: Partial<Run> = {}): Run {
  return {
    id: "r1",
    jobId: "j1",
    sourceModelId: "src",
    sourceName: "Source",
    sourceSha256: "aaa",
    level: "Q4_K_M",
    options: {
      imatrix: "auto",
      imatrixTextPath: null,
      imatrixChunks: null,
      allowRequantize: false,
    },
    imatrix: false,
    imatrixTextSha256: null,
    imatrixDataset: null,
    method: "rtn",
    gptq: null,
    outputModelId: null,
    outputPath: null,
    sizeBytes: null,
    bpw: null,
    durationMs: null,
    threads: 2,
    machine: "test machine",
    status: "running",
    error: null,
    createdAt: "2026-01-01T00:00:00.000Z",
    finishedAt: null,
    ...overrides,
  };
}

/** Migration 2 → 3: the runs table, added to a database that already holds models and downloads. */
describe("migration 0003-runs", () => {
  function atVersion2() {
    const db = new BetterSqlite3(":memory:");
    db.pragma("foreign_keys = ON");
    migrate(db, migrations, 2);
    db.prepare(insertModel("src", "aaa")).run();
    db.prepare(insertModel("out", "bbb")).run();
    db.prepare("INSERT INTO conversations VALUES ('c1', 'Hello', 'src', 't0', 't0')").run();
    db.prepare(
      `INSERT INTO downloads (id, source, title, name, state, position, model_id, error,
         created_at, updated_at) VALUES ('d1', 'https://x/a.gguf', 'a.gguf', NULL, 'done', 1,
         'src', NULL, 't0', 't0')`,
    ).run();
    return db;
  }

  it("keeps every row of version 2 and adds the runs table", () => {
    const db = atVersion2();
    migrate(db, migrations, 3);
    expect(schemaVersion(db)).toBe(3);
    expect(db.prepare("SELECT id FROM models ORDER BY id").pluck().all()).toEqual(["out", "src"]);
    expect(db.prepare("SELECT model_id FROM downloads").pluck().get()).toBe("src");
    expect(db.prepare("SELECT COUNT(*) FROM runs").pluck().get()).toBe(0);
  });

  it("stores a run and reads it back as it was written", () => {
    const db = atVersion2();
    migrate(db, migrations); // the queries are for the latest schema
    insertRun(db, run());
    expect(getRun(db, "r1")).toEqual(run());
    const done = run({
      status: "done",
      outputModelId: "out",
      outputPath: "/models/out.gguf",
      sizeBytes: 123,
      bpw: 4.5,
      durationMs: 900,
      imatrix: true,
      imatrixTextSha256: "ccc",
      imatrixDataset: "calib.txt",
      finishedAt: "2026-01-01T00:00:01.000Z",
    });
    updateRun(db, done);
    expect(getRun(db, "r1")).toEqual(done);
    expect(findRunByOutput(db, "out")?.id).toBe("r1");
    expect(listRuns(db, 10, "src").map((r) => r.id)).toEqual(["r1"]);
    expect(listRuns(db, 10, "elsewhere")).toEqual([]);
  });

  it("keeps a run, with its source's sha256, when either model is removed", () => {
    const db = atVersion2();
    migrate(db, migrations); // the queries are for the latest schema
    insertRun(db, run({ status: "done", outputModelId: "out" }));
    db.prepare("DELETE FROM models").run();
    const kept = getRun(db, "r1");
    expect(kept?.sourceModelId).toBeNull();
    expect(kept?.outputModelId).toBeNull();
    expect(kept?.sourceSha256).toBe("aaa");
  });

  it("refuses an unknown status or a run pointing at a model that does not exist", () => {
    const db = atVersion2();
    migrate(db, migrations); // the queries are for the latest schema
    expect(() => insertRun(db, run({ status: "paused" as Run["status"] }))).toThrow(/CHECK/);
    expect(() => insertRun(db, run({ id: "r2", outputModelId: "ghost" }))).toThrow(/FOREIGN KEY/);
  });

  it("fails runs a dead process left queued or running, and only those", () => {
    const db = atVersion2();
    migrate(db, migrations); // the queries are for the latest schema
    insertRun(db, run({ id: "a", status: "running" }));
    insertRun(db, run({ id: "b", status: "queued" }));
    insertRun(db, run({ id: "c", status: "done" }));
    const error = { code: "internal" as const, message: "stopped" };
    expect(failUnfinishedRuns(db, error, "t9")).toBe(2);
    expect(getRun(db, "a")).toMatchObject({ status: "failed", error, finishedAt: "t9" });
    expect(getRun(db, "b")?.status).toBe("failed");
    expect(getRun(db, "c")?.status).toBe("done");
  });
});
