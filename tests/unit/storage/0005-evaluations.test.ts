import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { Evaluation, EvaluationMetrics } from "../../../src-main/contract/index.js";
import { migrate, schemaVersion } from "../../../src-main/services/storage/database.js";
import { migrations } from "../../../src-main/services/storage/migrations/index.js";
import {
  failUnfinishedEvaluations,
  findMeasurement,
  getEvaluation,
  insertEvaluation,
  listEvaluations,
  measurementsAgainst,
  updateEvaluation,
} from "../../../src-main/services/storage/queries/evaluations.js";

const insertModel = (id: string, sha: string) =>
  `INSERT INTO models (id, name, path, linked, source, sha256, size_bytes, arch, params, bpw,
    type_histogram, kind, has_chat_template, added_at)
    VALUES ('${id}', '${id}', '/models/${id}.gguf', 0, 'imported', '${sha}', 10, 'llama', 1, 16.0,
    '{}', 'base', 0, 't0')`;

const distribution = {
  mean: 0.03,
  error: 0.001,
  max: 2,
  p999: 1,
  p99: 0.4,
  p95: 0.1,
  p90: 0.07,
  p75: 0.04,
  median: 0.01,
  p25: 0.005,
  p10: 0.001,
  p5: 0,
  p1: 0,
  p01: 0,
  min: -0.0001,
};

const metrics: EvaluationMetrics = {
  ppl: 105.2,
  pplError: 1.8,
  pplBase: 103.5,
  pplBaseError: 1.7,
  deltaPpl: 1.7,
  deltaPplError: 0.1,
  pplRatio: 1.0164,
  lnPplRatio: 0.0163,
  lnPplRatioError: 0.001,
  pplCorrelation: 0.99,
  kld: 0.03,
  kldError: 0.001,
  kldP99: 0.4,
  kldDistribution: distribution,
  deltaP: { ...distribution, mean: -0.004, rms: 0.05, rmsError: 0.001 },
  top1: 0.91,
  top1Error: 0.003,
  promptTps: 2400,
  decodeTps: 700,
  peakRssBytes: 250_000_000,
  tokens: 8160,
  seconds: 12.5,
  baseReused: false,
  vocabSize: 8192,
};

function evaluation(overrides: Partial<Evaluation> = {}): Evaluation {
  return {
    id: "e1",
    jobId: "j1",
    runId: "r1",
    model: {
      id: "out",
      name: "Out Q4_K_M",
      sha256: "bbb",
      level: "Q4_K_M",
      sizeBytes: 9,
      bpw: 4.9,
    },
    base: { id: "src", name: "Source", sha256: "aaa" },
    text: { name: "Brown held-out split", sha256: "ttt" },
    contextSize: 512,
    chunksRequested: null,
    chunks: null,
    chunksLimited: false,
    kldMethod: "full-vocabulary",
    threads: 1,
    machine: "test machine",
    metrics: null,
    status: "running",
    error: null,
    createdAt: "2026-01-01T00:00:00.000Z",
    finishedAt: null,
    ...overrides,
  };
}

/** Migration 4 → 5: the evaluations table, next to models, runs and conversations that exist. */
describe("migration 0005-evaluations", () => {
  function atVersion4() {
    const db = new BetterSqlite3(":memory:");
    db.pragma("foreign_keys = ON");
    migrate(db, migrations, 4);
    db.prepare(insertModel("src", "aaa")).run();
    db.prepare(insertModel("out", "bbb")).run();
    db.prepare(
      `INSERT INTO runs (id, job_id, source_model_id, source_name, source_sha256, level, options,
         imatrix, output_model_id, threads, machine, status, created_at)
       VALUES ('r1', 'j0', 'src', 'Source', 'aaa', 'Q4_K_M', '{}', 0, 'out', 1, 'm', 'done', 't0')`,
    ).run();
    db.prepare(
      "INSERT INTO conversations (id, title, model_id, created_at, updated_at) VALUES ('c1', 'Hi', 'out', 't0', 't0')",
    ).run();
    return db;
  }

  it("keeps every row of version 4 and adds an empty evaluations table", () => {
    const db = atVersion4();
    migrate(db, migrations, 5);
    expect(schemaVersion(db)).toBe(5);
    expect(db.prepare("SELECT id FROM models ORDER BY id").pluck().all()).toEqual(["out", "src"]);
    expect(db.prepare("SELECT output_model_id FROM runs").pluck().get()).toBe("out");
    expect(db.prepare("SELECT model_id FROM conversations").pluck().get()).toBe("out");
    expect(listEvaluations(db, 10)).toEqual([]);
  });

  it("stores a measurement with all its statistics and reads it back as it was written", () => {
    const db = atVersion4();
    migrate(db, migrations, 5);
    insertEvaluation(db, evaluation());
    expect(getEvaluation(db, "e1")).toEqual(evaluation());
    const done = evaluation({
      status: "done",
      chunks: 32,
      metrics,
      finishedAt: "2026-01-01T00:00:12.000Z",
    });
    updateEvaluation(db, done);
    expect(getEvaluation(db, "e1")).toEqual(done);
    // The headline numbers are columns too, for queries.
    expect(db.prepare("SELECT kld, top1, delta_ppl FROM evaluations").get()).toEqual({
      kld: 0.03,
      top1: 0.91,
      delta_ppl: 1.7,
    });
    const key = {
      modelSha256: "bbb",
      baseSha256: "aaa",
      textSha256: "ttt",
      contextSize: 512,
      chunksRequested: null,
      kldMethod: "full-vocabulary" as const,
    };
    expect(findMeasurement(db, key)?.id).toBe("e1");
    expect(findMeasurement(db, { ...key, textSha256: "other" })).toBeUndefined();
    expect(findMeasurement(db, { ...key, chunksRequested: 8 })).toBeUndefined();
    expect(measurementsAgainst(db, "aaa").map((e) => e.id)).toEqual(["e1"]);
    expect(listEvaluations(db, 10, { modelId: "src" }).map((e) => e.id)).toEqual(["e1"]);
    expect(listEvaluations(db, 10, { runId: "r2" })).toEqual([]);
  });

  it("keeps a measurement, with both models' snapshots, when the models are removed", () => {
    const db = atVersion4();
    migrate(db, migrations, 5);
    insertEvaluation(db, evaluation({ status: "done", metrics }));
    db.prepare("UPDATE runs SET source_model_id = NULL, output_model_id = NULL").run();
    db.prepare("DELETE FROM conversations").run();
    db.prepare("DELETE FROM models").run();
    const kept = getEvaluation(db, "e1")!;
    expect(kept.model).toMatchObject({ id: null, name: "Out Q4_K_M", sha256: "bbb" });
    expect(kept.base).toMatchObject({ id: null, sha256: "aaa" });
    expect(kept.metrics?.kld).toBe(0.03);
  });

  it("refuses an unknown status, a top-1 rate over 1, or a run that does not exist", () => {
    const db = atVersion4();
    migrate(db, migrations, 5);
    expect(() =>
      insertEvaluation(db, evaluation({ status: "paused" as Evaluation["status"] })),
    ).toThrow(/CHECK/);
    expect(() =>
      insertEvaluation(db, evaluation({ id: "e2", metrics: { ...metrics, top1: 1.5 } })),
    ).toThrow(/CHECK/);
    expect(() => insertEvaluation(db, evaluation({ id: "e3", runId: "ghost" }))).toThrow(
      /FOREIGN KEY/,
    );
  });

  it("fails measurements a dead process left queued or running, and only those", () => {
    const db = atVersion4();
    migrate(db, migrations, 5);
    insertEvaluation(db, evaluation({ id: "a", status: "running" }));
    insertEvaluation(db, evaluation({ id: "b", status: "queued" }));
    insertEvaluation(db, evaluation({ id: "c", status: "done", metrics }));
    const error = { code: "internal" as const, message: "stopped" };
    expect(failUnfinishedEvaluations(db, error, "t9")).toBe(2);
    expect(getEvaluation(db, "a")).toMatchObject({ status: "failed", error, finishedAt: "t9" });
    expect(getEvaluation(db, "c")?.status).toBe("done");
  });
});
