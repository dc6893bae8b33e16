import type { Migration } from "./types.js";

/**
 * Evaluations: what a model costs against its base, measured llama-perplexity's way. Each row
 * keeps a snapshot of both models (name, sha256, size, bits per weight), which outlives their
 * rows; the text it was measured on (its sha256, so results are compared only when the text is
 * the same); the settings (context, chunks asked for and used, and whether the base log-prob
 * cache's size cap lowered the count); the headline metrics as columns; and every statistic in
 * `details` (JSON). `run_id` links the compression run that made the model, if Lowbit made it.
 */
export const migration0005: Migration = {
  version: 5,
  name: "evaluations",
  up(db) {
    db.exec(`
      CREATE TABLE evaluations (
        id TEXT PRIMARY KEY,
        job_id TEXT,
        run_id TEXT REFERENCES runs (id) ON DELETE SET NULL,
        model_id TEXT REFERENCES models (id) ON DELETE SET NULL,
        model_name TEXT NOT NULL,
        model_sha256 TEXT NOT NULL,
        model_level TEXT,
        model_size_bytes INTEGER NOT NULL CHECK (model_size_bytes >= 0),
        model_bpw REAL NOT NULL,
        base_model_id TEXT REFERENCES models (id) ON DELETE SET NULL,
        base_name TEXT NOT NULL,
        base_sha256 TEXT NOT NULL,
        text_name TEXT NOT NULL,
        text_sha256 TEXT NOT NULL,
        context_size INTEGER NOT NULL CHECK (context_size >= 16),
        chunks_requested INTEGER CHECK (chunks_requested IS NULL OR chunks_requested >= 1),
        chunks INTEGER CHECK (chunks IS NULL OR chunks >= 1),
        chunks_limited INTEGER NOT NULL DEFAULT 0 CHECK (chunks_limited IN (0, 1)),
        kld_method TEXT NOT NULL,
        threads INTEGER NOT NULL CHECK (threads >= 1),
        machine TEXT NOT NULL,
        ppl REAL,
        ppl_base REAL,
        delta_ppl REAL,
        ln_ppl_ratio REAL,
        kld REAL,
        kld_p99 REAL,
        top1 REAL CHECK (top1 IS NULL OR (top1 >= 0 AND top1 <= 1)),
        prompt_tps REAL,
        decode_tps REAL,
        peak_rss_bytes INTEGER,
        tokens INTEGER,
        seconds REAL,
        details TEXT,
        status TEXT NOT NULL
          CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
        error TEXT,
        created_at TEXT NOT NULL,
        finished_at TEXT
      ) STRICT;
      CREATE INDEX evaluations_measure
        ON evaluations (model_sha256, base_sha256, text_sha256, context_size);
      CREATE INDEX evaluations_run ON evaluations (run_id);
    `);
  },
};
