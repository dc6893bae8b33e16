import type { Database } from "better-sqlite3";
import type { AppErrorData, ChecksumSource } from "../../../contract/index.js";

/** The states a download row keeps; the finer ones (connecting, retrying, …) live in memory. */
export type StoredDownloadState = "queued" | "running" | "paused" | "done" | "failed" | "cancelled";

export interface StoredDownloadFile {
  part: number;
  url: string;
  fileName: string;
  partialPath: string;
  sizeBytes: number | null;
  expectedSha256: string | null;
  etag: string | null;
  receivedBytes: number;
  complete: boolean;
  /** Computed from the bytes as they arrived, once the file is complete. */
  sha256: string | null;
}

export interface StoredDownload {
  id: string;
  source: string;
  title: string;
  name: string | null;
  state: StoredDownloadState;
  position: number;
  checksum: ChecksumSource;
  modelId: string | null;
  error: AppErrorData | null;
  createdAt: string;
  updatedAt: string;
  files: StoredDownloadFile[];
}

interface DownloadRow {
  id: string;
  source: string;
  title: string;
  name: string | null;
  state: StoredDownloadState;
  position: number;
  checksum: ChecksumSource;
  model_id: string | null;
  error: string | null;
  created_at: string;
  updated_at: string;
}

interface FileRow {
  download_id: string;
  part: number;
  url: string;
  file_name: string;
  partial_path: string;
  size_bytes: number | null;
  expected_sha256: string | null;
  etag: string | null;
  received_bytes: number;
  complete: number;
  sha256: string | null;
}

function fileFromRow(row: FileRow): StoredDownloadFile {
  return {
    part: row.part,
    url: row.url,
    fileName: row.file_name,
    partialPath: row.partial_path,
    sizeBytes: row.size_bytes,
    expectedSha256: row.expected_sha256,
    etag: row.etag,
    receivedBytes: row.received_bytes,
    complete: row.complete === 1,
    sha256: row.sha256,
  };
}

function fromRows(row: DownloadRow, files: FileRow[]): StoredDownload {
  return {
    id: row.id,
    source: row.source,
    title: row.title,
    name: row.name,
    state: row.state,
    position: row.position,
    checksum: row.checksum,
    modelId: row.model_id,
    error: row.error === null ? null : (JSON.parse(row.error) as AppErrorData),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    files: files.map(fileFromRow),
  };
}

export function insertDownload(
  db: Database,
  download: Omit<StoredDownload, "position" | "modelId" | "error" | "updatedAt">,
): void {
  db.transaction(() => {
    const position =
      (db.prepare("SELECT MAX(position) FROM downloads").pluck().get() as number | null) ?? 0;
    db.prepare(
      `INSERT INTO downloads (id, source, title, name, state, position, checksum, created_at,
         updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      download.id,
      download.source,
      download.title,
      download.name,
      download.state,
      position + 1,
      download.checksum,
      download.createdAt,
      download.createdAt,
    );
    const insertFile = db.prepare(
      `INSERT INTO download_files (download_id, part, url, file_name, partial_path, size_bytes,
         expected_sha256, etag, received_bytes, complete)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const file of download.files) {
      insertFile.run(
        download.id,
        file.part,
        file.url,
        file.fileName,
        file.partialPath,
        file.sizeBytes,
        file.expectedSha256,
        file.etag,
        file.receivedBytes,
        file.complete ? 1 : 0,
      );
    }
  })();
}

/** Every download, in queue order. */
export function listDownloads(db: Database): StoredDownload[] {
  const rows = db.prepare("SELECT * FROM downloads ORDER BY position").all() as DownloadRow[];
  const files = db
    .prepare("SELECT * FROM download_files ORDER BY download_id, part")
    .all() as FileRow[];
  const byDownload = new Map<string, FileRow[]>();
  for (const file of files) {
    const list = byDownload.get(file.download_id) ?? [];
    list.push(file);
    byDownload.set(file.download_id, list);
  }
  return rows.map((row) => fromRows(row, byDownload.get(row.id) ?? []));
}

export function getDownload(db: Database, id: string): StoredDownload | undefined {
  const row = db.prepare("SELECT * FROM downloads WHERE id = ?").get(id) as DownloadRow | undefined;
  if (row === undefined) {
    return undefined;
  }
  const files = db
    .prepare("SELECT * FROM download_files WHERE download_id = ? ORDER BY part")
    .all(id) as FileRow[];
  return fromRows(row, files);
}

export function updateDownload(
  db: Database,
  id: string,
  change: {
    /** Any state but "running" also clears the owner. */
    state?: StoredDownloadState;
    modelId?: string | null;
    error?: AppErrorData | null;
    now: string;
  },
): void {
  const sets = ["updated_at = @now"];
  const values: Record<string, unknown> = { id, now: change.now };
  if (change.state !== undefined) {
    sets.push("state = @state");
    values.state = change.state;
    if (change.state !== "running") {
      sets.push("owner_pid = NULL");
    }
  }
  if (change.modelId !== undefined) {
    sets.push("model_id = @model_id");
    values.model_id = change.modelId;
  }
  if (change.error !== undefined) {
    sets.push("error = @error");
    values.error = change.error === null ? null : JSON.stringify(change.error);
  }
  db.prepare(`UPDATE downloads SET ${sets.join(", ")} WHERE id = @id`).run(values);
}

export function updateDownloadFile(
  db: Database,
  id: string,
  part: number,
  change: {
    sizeBytes?: number | null;
    etag?: string | null;
    receivedBytes?: number;
    complete?: boolean;
    sha256?: string | null;
  },
): void {
  const sets: string[] = [];
  const values: Record<string, unknown> = { id, part };
  if (change.sizeBytes !== undefined) {
    sets.push("size_bytes = @size_bytes");
    values.size_bytes = change.sizeBytes;
  }
  if (change.etag !== undefined) {
    sets.push("etag = @etag");
    values.etag = change.etag;
  }
  if (change.receivedBytes !== undefined) {
    sets.push("received_bytes = @received_bytes");
    values.received_bytes = change.receivedBytes;
  }
  if (change.complete !== undefined) {
    sets.push("complete = @complete");
    values.complete = change.complete ? 1 : 0;
  }
  if (change.sha256 !== undefined) {
    sets.push("sha256 = @sha256");
    values.sha256 = change.sha256;
  }
  if (sets.length === 0) {
    return;
  }
  db.prepare(
    `UPDATE download_files SET ${sets.join(", ")} WHERE download_id = @id AND part = @part`,
  ).run(values);
}

export function deleteDownload(db: Database, id: string): boolean {
  return db.prepare("DELETE FROM downloads WHERE id = ?").run(id).changes > 0;
}

/**
 * Takes a queued download for process `pid`; false when another process (or call) took it first.
 * SQLite serialises writers, so two processes sharing a home never fetch into one partial file.
 */
export function claimDownload(db: Database, id: string, pid: number, now: string): boolean {
  return (
    db
      .prepare(
        `UPDATE downloads SET state = 'running', owner_pid = ?, updated_at = ?
         WHERE id = ? AND state = 'queued'`,
      )
      .run(pid, now, id).changes > 0
  );
}

/**
 * Downloads left running by a process that is gone (it crashed or was killed) go back to the
 * queue, their data kept; `isGone` decides about each owner.
 */
export function requeueInterrupted(
  db: Database,
  now: string,
  isGone: (pid: number | null) => boolean,
): number {
  const owners = db
    .prepare("SELECT id, owner_pid FROM downloads WHERE state = 'running'")
    .all() as Array<{ id: string; owner_pid: number | null }>;
  const requeue = db.prepare(
    "UPDATE downloads SET state = 'queued', owner_pid = NULL, updated_at = ? WHERE id = ?",
  );
  let count = 0;
  for (const row of owners) {
    if (isGone(row.owner_pid)) {
      count += requeue.run(now, row.id).changes;
    }
  }
  return count;
}
