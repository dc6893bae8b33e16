import BetterSqlite3, { type Database } from "better-sqlite3";
import { AppError } from "../../contract/index.js";
import { migrations as allMigrations, type Migration } from "./migrations/index.js";

export type { Database };

/**
 * Opens (creating if needed) the app database and brings its schema up to date.
 * WAL so readers never block the writer; foreign keys on; each migration in its own transaction.
 */
export function openDatabase(
  file: string,
  options: { migrations?: readonly Migration[]; targetVersion?: number } = {},
): Database {
  let db: Database;
  try {
    db = new BetterSqlite3(file);
  } catch (error) {
    throw new AppError(
      "io_error",
      `Could not open the database ${file}: ${(error as Error).message}`,
      "Check that the folder exists and is writable, or pass another --home.",
    );
  }
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    migrate(db, options.migrations ?? allMigrations, options.targetVersion);
  } catch (error) {
    db.close();
    if (error instanceof AppError) {
      throw error;
    }
    throw new AppError(
      "io_error",
      `The database ${file} could not be prepared: ${(error as Error).message}`,
      "If the file is damaged, move it away and start again; your model files are not affected.",
    );
  }
  return db;
}

export function schemaVersion(db: Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

export function migrate(
  db: Database,
  migrations: readonly Migration[],
  targetVersion?: number,
): void {
  const target = targetVersion ?? migrations.length;
  const current = schemaVersion(db);
  if (current > migrations.length) {
    throw new AppError(
      "unsupported",
      `This database was written by a newer Lowbit (schema ${current}; this version knows ${migrations.length}).`,
      "Update Lowbit, or use another --home.",
    );
  }
  for (const migration of migrations) {
    if (migration.version <= current || migration.version > target) {
      continue;
    }
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}
