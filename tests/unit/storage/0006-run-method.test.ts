import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { Run } from "../../../src-main/contract/index.js";
import { migrate, schemaVersion } from "../../../src-main/services/storage/database.js";
import { migrations } from "../../../src-main/services/storage/migrations/index.js";
import { getRun, insertRun, updateRun } from "../../../src-main/services/storage/queries/runs.js";

/** Migration 5 → 6: runs say how they rounded the weights, and what a calibrated one used. */
describe("migration 0006-run-method", () => {
  function atVersion5() {
    const db = new BetterSqlite3(":memory:");
    db.pragma("foreign_keys = ON");
    migrate(db, migrations, 5);
    db.prepare(
      `INSERT INTO runs (id, job_id, source_model_id, source_name, source_sha256, level, options,
         imatrix, threads, machine, status, created_at)
       VALUES ('old', 'j0', NULL, 'Source', 'aaa', 'Q4_K_M',
         '{"imatrix":"auto","imatrixTextPath":null,"imatrixChunks":null,"allowRequantize":false}',
         0, 1, 'm', 'done', 't0')`,
    ).run();
    return db;
  }

  it("keeps the runs of version 5, which read as round-to-nearest", () => {
    const db = atVersion5();
    migrate(db, migrations, 6);
    expect(schemaVersion(db)).toBe(6);
    const old = getRun(db, "old");
    expect(old).toMatchObject({ id: "old", level: "Q4_K_M", method: "rtn", gptq: null });
  });

  it("stores a calibrated run's method and settings, and refuses an unknown method", () => {
    const db = atVersion5();
    migrate(db, migrations, 6);
    const run: Run = {
      ...getRun(db, "old")!,
      id: "new",
      level: "PTQTP1",
      method: "gptq",
      gptq: {
        damping: 0.01,
        textPath: "/texts/calib.txt",
        textSha256: "c".repeat(64),
        dataset: "calib.txt",
        chunkSize: 512,
        chunks: 64,
        tokens: null,
        tensors: null,
      },
    };
    insertRun(db, run);
    updateRun(db, { ...run, gptq: { ...run.gptq!, tokens: 32768, tensors: 42 } });
    expect(getRun(db, "new")).toMatchObject({
      method: "gptq",
      gptq: { damping: 0.01, tokens: 32768, tensors: 42, textSha256: "c".repeat(64) },
    });
    expect(() => db.prepare("UPDATE runs SET method = 'awq' WHERE id = 'new'").run()).toThrow(
      /CHECK constraint/,
    );
  });
});
