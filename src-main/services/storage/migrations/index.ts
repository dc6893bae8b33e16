import { migration0001 } from "./0001-initial.js";
import { migration0002 } from "./0002-downloads.js";
import { migration0003 } from "./0003-runs.js";
import { migration0004 } from "./0004-system-prompt.js";
import { migration0005 } from "./0005-evaluations.js";
import { migration0006 } from "./0006-run-method.js";
import type { Migration } from "./types.js";

/** Every schema version in order. Add a file per version; never edit a shipped one. */
export const migrations: readonly Migration[] = [
  migration0001,
  migration0002,
  migration0003,
  migration0004,
  migration0005,
  migration0006,
];

export type { Migration };
