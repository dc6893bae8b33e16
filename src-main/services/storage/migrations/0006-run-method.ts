import type { Migration } from "./types.js";

/**
 * How a run rounded the weights: `rtn` (llama.cpp's round-to-nearest with its scale search, every
 * run before this version) or `gptq` (error-compensated on a calibration text). `gptq` holds what
 * a calibrated run used — damping, the text's sha256 and name, chunks and tokens — as JSON, so
 * the run says how to repeat it; null for `rtn`.
 */
export const migration0006: Migration = {
  version: 6,
  name: "run-method",
  up(db) {
    db.exec(`
      ALTER TABLE runs ADD COLUMN method TEXT NOT NULL DEFAULT 'rtn'
        CHECK (method IN ('rtn', 'gptq'));
      ALTER TABLE runs ADD COLUMN gptq TEXT;
    `);
  },
};
