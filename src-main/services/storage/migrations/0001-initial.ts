import type { Migration } from "./types.js";

/** Models in the library, conversations with their messages, user settings and jobs. */
export const migration0001: Migration = {
  version: 1,
  name: "initial",
  up(db) {
    db.exec(`
      CREATE TABLE models (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        path TEXT NOT NULL UNIQUE,
        linked INTEGER NOT NULL CHECK (linked IN (0, 1)),
        source TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        arch TEXT NOT NULL,
        params INTEGER NOT NULL,
        context_length INTEGER,
        file_type TEXT,
        bpw REAL NOT NULL,
        type_histogram TEXT NOT NULL,
        kind TEXT NOT NULL,
        has_chat_template INTEGER NOT NULL CHECK (has_chat_template IN (0, 1)),
        added_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX models_sha256 ON models (sha256);

      CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        model_id TEXT REFERENCES models (id) ON DELETE SET NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content TEXT NOT NULL,
        model_id TEXT,
        stats TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (conversation_id, seq)
      ) STRICT;

      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
        params TEXT NOT NULL,
        fraction REAL,
        result TEXT,
        error TEXT,
        partial_path TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX jobs_state ON jobs (state);
    `);
  },
};
