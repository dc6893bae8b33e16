import type { Database } from "better-sqlite3";

/** Raw stored values, JSON-encoded per key; the settings service applies the schema. */
export function readSettings(db: Database): Record<string, unknown> {
  const rows = db.prepare("SELECT key, value FROM settings").all() as Array<{
    key: string;
    value: string;
  }>;
  const values: Record<string, unknown> = {};
  for (const row of rows) {
    try {
      values[row.key] = JSON.parse(row.value);
    } catch {
      // A damaged value falls back to its default.
    }
  }
  return values;
}

export function writeSettings(db: Database, values: Record<string, unknown>): void {
  const upsert = db.prepare(
    "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  );
  db.transaction(() => {
    for (const [key, value] of Object.entries(values)) {
      upsert.run(key, JSON.stringify(value));
    }
  })();
}
