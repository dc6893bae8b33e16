import { existsSync } from "node:fs";
import { rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Database } from "better-sqlite3";
import { AppError } from "../../contract/index.js";
import { formatBytes } from "../gguf/formatBytes.js";
import type { LibraryService } from "../library/libraryService.js";
import {
  getDownload,
  updateDownloadFile,
  type StoredDownload,
  type StoredDownloadFile,
} from "../storage/queries/downloads.js";
import { findModelBySha256 } from "../storage/queries/models.js";
import type { LiveDownload } from "./downloadRecord.js";
import { freeFileNames } from "./fileNames.js";
import type { OpenWriter } from "./partWriter.js";
import type { RetryPolicy } from "./retryPolicy.js";
import { transferFile, type HashState } from "./transferFile.js";

export interface RunDeps {
  db: Database;
  library: LibraryService;
  fetch: typeof fetch;
  openWriter: OpenWriter;
  policy: RetryPolicy;
  headers(url: string): Record<string, string>;
  /** Hash states of partial files, kept while this process lives so a resume reads nothing. */
  hashes: Map<string, HashState>;
  ensureSpace(title: string, bytes: number): Promise<void>;
  publish(): void;
  isClosed(): boolean;
}

/** Received byte counts reach the database at most this often (and whenever a transfer stops). */
const persistIntervalMs = 1000;

/**
 * Runs one download to a registered model: fetches each file not yet complete (resuming what is
 * on disk), checks each against its sha256 as soon as its last byte arrives, then has the
 * library check the whole model as a GGUF and register it. Throws on failure; the caller decides
 * what a stop means (pause, cancel, shutdown).
 */
export async function runDownload(
  stored: StoredDownload,
  live: LiveDownload,
  signal: AbortSignal,
  deps: RunDeps,
): Promise<{ modelId: string }> {
  const files = await checkCompleteFiles(stored, deps);
  const sizes = files.map((f) => f.sizeBytes);
  if (sizes.every((s) => s !== null)) {
    const remaining = files.reduce(
      (sum, f) => sum + (f.complete ? 0 : Math.max(0, (f.sizeBytes ?? 0) - f.receivedBytes)),
      0,
    );
    await deps.ensureSpace(stored.title, remaining);
  }
  const receivedTotal = (): number =>
    files.reduce(
      (sum, f) =>
        sum +
        (f.complete
          ? (f.sizeBytes ?? f.receivedBytes)
          : (live.received.get(f.part) ?? f.receivedBytes)),
      0,
    );
  for (const file of files) {
    if (file.complete) {
      continue;
    }
    await fetchFile(stored, file, live, signal, deps, receivedTotal);
    file.complete = true;
  }
  if (deps.isClosed()) {
    throw new AppError("cancelled", "Lowbit is closing.");
  }
  live.phase = "verifying";
  live.detail = "checking the model file";
  deps.publish();
  const done = getDownload(deps.db, stored.id) ?? stored;
  const sha256 = done.files[0]?.sha256;
  if (sha256 === null || sha256 === undefined) {
    throw new AppError("internal", `The download of ${stored.title} finished without a checksum.`);
  }
  const folder = path.dirname(done.files[0]!.partialPath);
  let names = done.files.map((f) => f.fileName);
  if (names.some((name) => existsSync(path.join(folder, name)))) {
    // A file took the name while this downloaded (an import, say): never overwrite it.
    names = freeFileNames(folder, names, new Set());
  }
  const parts = done.files.map((f, i) => ({
    from: f.partialPath,
    to: path.join(folder, names[i] ?? f.fileName),
  }));
  try {
    const model = await deps.library.registerVerified({
      parts,
      sha256,
      name: stored.name ?? undefined,
      source: "downloaded",
    });
    return { modelId: model.id };
  } catch (error) {
    const existing = findModelBySha256(deps.db, sha256);
    if (error instanceof AppError && error.code === "already_exists" && existing !== undefined) {
      // The same bytes are already in the library: that entry is this download's model.
      for (const part of parts) {
        await rm(part.from, { force: true });
      }
      return { modelId: existing.id };
    }
    throw error;
  }
}

async function fetchFile(
  stored: StoredDownload,
  file: StoredDownloadFile,
  live: LiveDownload,
  signal: AbortSignal,
  deps: RunDeps,
  receivedTotal: () => number,
): Promise<void> {
  let lastPersist = Date.now();
  const persist = (received: number): void => {
    if (!deps.isClosed()) {
      updateDownloadFile(deps.db, stored.id, file.part, { receivedBytes: received });
    }
  };
  let result;
  try {
    result = await transferFile(
      {
        url: file.url,
        partialPath: file.partialPath,
        sizeBytes: file.sizeBytes,
        etag: file.etag,
        resumeHash: deps.hashes.get(file.partialPath) ?? null,
      },
      {
        fetch: deps.fetch,
        openWriter: deps.openWriter,
        policy: deps.policy,
        headers: deps.headers,
      },
      {
        phase: (phase, detail, retryInMs) => {
          live.phase = phase;
          live.detail = detail;
          live.retryAt = retryInMs === null ? null : Date.now() + retryInMs;
          if (phase !== "downloading") {
            live.meter.reset();
          }
          deps.publish();
        },
        bytes: (received) => {
          live.received.set(file.part, received);
          live.meter.add(receivedTotal());
          if (Date.now() - lastPersist >= persistIntervalMs) {
            lastPersist = Date.now();
            persist(received);
          }
          deps.publish();
        },
        response: (sizeBytes, etag) => {
          file.sizeBytes = sizeBytes ?? file.sizeBytes;
          file.etag = etag;
          if (!deps.isClosed()) {
            updateDownloadFile(deps.db, stored.id, file.part, { sizeBytes: file.sizeBytes, etag });
          }
        },
        keep: (state) => {
          deps.hashes.set(file.partialPath, state);
          live.received.set(file.part, state.bytes);
          persist(state.bytes);
        },
      },
      signal,
    );
  } catch (error) {
    if (error instanceof AppError && error.code === "disk_full") {
      const got = live.received.get(file.part) ?? 0;
      throw new AppError(
        "disk_full",
        `The disk filled up while downloading ${file.fileName}` +
          (file.sizeBytes === null
            ? ` (${formatBytes(got)} written).`
            : ` (${formatBytes(got)} of ${formatBytes(file.sizeBytes)} written).`),
        "Free some space, then press Retry: what was downloaded is kept. Cancel deletes it.",
      );
    }
    throw error;
  }
  deps.hashes.delete(file.partialPath);
  if (file.expectedSha256 !== null && result.sha256 !== file.expectedSha256) {
    throw new AppError(
      "checksum_mismatch",
      `checksum mismatch: expected ${file.expectedSha256} got ${result.sha256} (${file.fileName})`,
      "The data was damaged on the way or the file changed on the server, so it was deleted. " +
        "Press Retry to download it again from the start.",
    );
  }
  live.received.set(file.part, result.bytes);
  file.sizeBytes = result.bytes;
  if (!deps.isClosed()) {
    updateDownloadFile(deps.db, stored.id, file.part, {
      complete: true,
      receivedBytes: result.bytes,
      sizeBytes: result.bytes,
      sha256: result.sha256,
    });
  }
}

/** A file marked complete whose partial is gone or the wrong size is fetched again. */
async function checkCompleteFiles(
  stored: StoredDownload,
  deps: RunDeps,
): Promise<StoredDownloadFile[]> {
  const files = stored.files.map((f) => ({ ...f }));
  for (const file of files) {
    if (!file.complete) {
      continue;
    }
    const info = await stat(file.partialPath).catch(() => null);
    if (info === null || (file.sizeBytes !== null && info.size !== file.sizeBytes)) {
      file.complete = false;
      file.receivedBytes = 0;
      updateDownloadFile(deps.db, stored.id, file.part, { complete: false, receivedBytes: 0 });
    }
  }
  return files;
}
