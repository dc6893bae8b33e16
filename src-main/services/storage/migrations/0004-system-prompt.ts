import type { Migration } from "./types.js";

/** A system prompt per conversation; existing conversations get none. */
export const migration0004: Migration = {
  version: 4,
  name: "system-prompt",
  up(db) {
    db.exec(`ALTER TABLE conversations ADD COLUMN system_prompt TEXT NOT NULL DEFAULT ''`);
  },
};
