import type { Database } from "better-sqlite3";

export interface Migration {
  /** The schema version this migration produces; versions are consecutive from 1. */
  readonly version: number;
  readonly name: string;
  up(db: Database): void;
}
