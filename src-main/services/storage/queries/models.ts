import type { Database } from "better-sqlite3";
import type { Model } from "../../../contract/index.js";

interface ModelRow {
  id: string;
  name: string;
  path: string;
  linked: number;
  source: string;
  sha256: string;
  size_bytes: number;
  arch: string;
  params: number;
  context_length: number | null;
  file_type: string | null;
  bpw: number;
  type_histogram: string;
  kind: string;
  has_chat_template: number;
  added_at: string;
}

function fromRow(row: ModelRow): Model {
  return {
    id: row.id,
    name: row.name,
    path: row.path,
    linked: row.linked === 1,
    source: row.source as Model["source"],
    sha256: row.sha256,
    sizeBytes: row.size_bytes,
    arch: row.arch,
    params: row.params,
    contextLength: row.context_length,
    fileType: row.file_type,
    bpw: row.bpw,
    typeHistogram: JSON.parse(row.type_histogram) as Model["typeHistogram"],
    kind: row.kind as Model["kind"],
    hasChatTemplate: row.has_chat_template === 1,
    addedAt: row.added_at,
  };
}

export function listModels(db: Database): Model[] {
  const rows = db.prepare("SELECT * FROM models ORDER BY added_at, name").all() as ModelRow[];
  return rows.map(fromRow);
}

export function getModel(db: Database, id: string): Model | undefined {
  const row = db.prepare("SELECT * FROM models WHERE id = ?").get(id) as ModelRow | undefined;
  return row === undefined ? undefined : fromRow(row);
}

export function findModelsByName(db: Database, name: string): Model[] {
  const rows = db.prepare("SELECT * FROM models WHERE name = ?").all(name) as ModelRow[];
  return rows.map(fromRow);
}

export function findModelByPath(db: Database, path: string): Model | undefined {
  const row = db.prepare("SELECT * FROM models WHERE path = ?").get(path) as ModelRow | undefined;
  return row === undefined ? undefined : fromRow(row);
}

export function findModelBySha256(db: Database, sha256: string): Model | undefined {
  const row = db.prepare("SELECT * FROM models WHERE sha256 = ? LIMIT 1").get(sha256) as
    ModelRow | undefined;
  return row === undefined ? undefined : fromRow(row);
}

export function insertModel(db: Database, model: Model): void {
  db.prepare(
    `INSERT INTO models (id, name, path, linked, source, sha256, size_bytes, arch, params,
       context_length, file_type, bpw, type_histogram, kind, has_chat_template, added_at)
     VALUES (@id, @name, @path, @linked, @source, @sha256, @size_bytes, @arch, @params,
       @context_length, @file_type, @bpw, @type_histogram, @kind, @has_chat_template, @added_at)`,
  ).run({
    id: model.id,
    name: model.name,
    path: model.path,
    linked: model.linked ? 1 : 0,
    source: model.source,
    sha256: model.sha256,
    size_bytes: model.sizeBytes,
    arch: model.arch,
    params: model.params,
    context_length: model.contextLength,
    file_type: model.fileType,
    bpw: model.bpw,
    type_histogram: JSON.stringify(model.typeHistogram),
    kind: model.kind,
    has_chat_template: model.hasChatTemplate ? 1 : 0,
    added_at: model.addedAt,
  });
}

export function renameModel(db: Database, id: string, name: string): boolean {
  return db.prepare("UPDATE models SET name = ? WHERE id = ?").run(name, id).changes > 0;
}

export function deleteModel(db: Database, id: string): boolean {
  return db.prepare("DELETE FROM models WHERE id = ?").run(id).changes > 0;
}
