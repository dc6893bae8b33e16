import type { Migration } from "./types.js";

/**
 * Compression runs: what was quantized (the source model's id and sha256, which outlive the
 * model row), to which level and with which options, whether an importance matrix was used and
 * from which text (its sha256), what came out (the registered model, its size and bits per
 * weight), how long it took with how many threads on which machine, and how it ended. A run is
 * kept when either model is removed; the evaluation issue adds its measurements in a later table.
 */
export const migration0003: Migration = {
  version: 3,
  name: "runs",
  up(db) {
    db.exec(`
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        job_id TEXT,
        source_model_id TEXT REFERENCES models (id) ON DELETE SET NULL,
        source_name TEXT NOT NULL,
        source_sha256 TEXT NOT NULL,
        level TEXT NOT NULL,
        options TEXT NOT NULL,
        imatrix INTEGER NOT NULL CHECK (imatrix IN (0, 1)),
        imatrix_text_sha256 TEXT,
        imatrix_dataset TEXT,
        output_model_id TEXT REFERENCES models (id) ON DELETE SET NULL,
        output_path TEXT,
        size_bytes INTEGER CHECK (size_bytes IS NULL OR size_bytes >= 0),
        bpw REAL,
        duration_ms INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0),
        threads INTEGER NOT NULL CHECK (threads >= 1),
        machine TEXT NOT NULL,
        status TEXT NOT NULL
          CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
        error TEXT,
        created_at TEXT NOT NULL,
        finished_at TEXT
      ) STRICT;
      CREATE INDEX runs_source ON runs (source_sha256, level);
      CREATE INDEX runs_status ON runs (status);
    `);
  },
};
