import type { Migration } from "./types.js";

/**
 * Downloads that survive restarts: one row per download (what the user asked for and where it
 * stands) and one row per file it fetches (a split GGUF has several), each with its `.partial`
 * file, the bytes already on disk, the validator (ETag) that resuming checks, and the expected
 * sha256 (and, once complete, the sha256 computed from the bytes as they arrived). Unlike `jobs`,
 * a download found "running" at start-up whose process is gone (`owner_pid`) goes back to the
 * queue and keeps its partial data.
 */
export const migration0002: Migration = {
  version: 2,
  name: "downloads",
  up(db) {
    db.exec(`
      CREATE TABLE downloads (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        title TEXT NOT NULL,
        name TEXT,
        state TEXT NOT NULL
          CHECK (state IN ('queued', 'running', 'paused', 'done', 'failed', 'cancelled')),
        position INTEGER NOT NULL,
        checksum TEXT NOT NULL DEFAULT 'none' CHECK (checksum IN ('hub', 'user', 'none')),
        owner_pid INTEGER,
        model_id TEXT REFERENCES models (id) ON DELETE SET NULL,
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX downloads_state ON downloads (state, position);

      CREATE TABLE download_files (
        download_id TEXT NOT NULL REFERENCES downloads (id) ON DELETE CASCADE,
        part INTEGER NOT NULL CHECK (part >= 0),
        url TEXT NOT NULL,
        file_name TEXT NOT NULL,
        partial_path TEXT NOT NULL UNIQUE,
        size_bytes INTEGER CHECK (size_bytes IS NULL OR size_bytes >= 0),
        expected_sha256 TEXT,
        etag TEXT,
        received_bytes INTEGER NOT NULL DEFAULT 0 CHECK (received_bytes >= 0),
        complete INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
        sha256 TEXT,
        PRIMARY KEY (download_id, part)
      ) STRICT;
    `);
  },
};
