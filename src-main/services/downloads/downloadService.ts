import { randomUUID } from "node:crypto";
import { rm, statfs } from "node:fs/promises";
import path from "node:path";
import type { Database } from "better-sqlite3";
import {
  AppError,
  toErrorData,
  type DownloadCheck,
  type DownloadProgress,
  type DownloadRecord,
  type HubListing,
  type PulledModel,
} from "../../contract/index.js";
import { Signal } from "../../rpc/signal.js";
import type { LowbitPaths } from "../config/paths.js";
import { formatBytes } from "../gguf/formatBytes.js";
import type { LibraryService } from "../library/libraryService.js";
import type { SettingsService } from "../settings/settingsService.js";
import {
  claimDownload,
  deleteDownload,
  getDownload,
  insertDownload,
  listDownloads,
  requeueInterrupted,
  updateDownload,
  type StoredDownload,
} from "../storage/queries/downloads.js";
import { findModelBySha256 } from "../storage/queries/models.js";
import { toRecord, type LiveDownload } from "./downloadRecord.js";
import { freeFileNames } from "./fileNames.js";
import { followDownload } from "./followDownload.js";
import type { HubHttp } from "./hubClient.js";
import { machineMemory, type MachineMemory } from "./memoryFit.js";
import { openFileWriter, type OpenWriter } from "./partWriter.js";
import { preflight } from "./preflight.js";
import { RateMeter } from "./rateMeter.js";
import { resolvePlan } from "./resolvePlan.js";
import { runDownload, type RunDeps } from "./runDownload.js";
import { defaultRetryPolicy, type RetryPolicy } from "./retryPolicy.js";
import { searchRepo } from "./searchRepo.js";

export interface DownloadOptions {
  /** Defaults to the global fetch. */
  fetch: typeof fetch;
  /** Where bytes are written; tests pass one that fills the disk. Defaults to the file system. */
  openWriter: OpenWriter;
  /** Free bytes in a folder. Defaults to statfs. */
  freeBytes: (folder: string) => Promise<number>;
  retry: RetryPolicy;
  memory: () => MachineMemory;
  /** LOWBIT_HUB_URL and HF_TOKEN are read from here. Defaults to process.env. */
  env: NodeJS.ProcessEnv;
  now: () => string;
}

/** Kept free on top of a download, as imports do. */
const diskMarginBytes = 64 * 2 ** 20;
const unfinished = new Set(["queued", "running", "paused", "failed"]);

type StopReason = "pause" | "cancel" | "shutdown";

interface Active {
  live: LiveDownload;
  abort: AbortController;
  finished: Promise<void>;
}

/**
 * Downloads as durable jobs: each is a row (with one row per file) that survives restarts, its
 * data in `.partial` files next to the library. A queue runs `downloads.concurrency` at a time;
 * pause keeps the data, cancel deletes it; a download its process left running goes back to
 * the queue at the next start. A finished file is verified (sha256, then as a GGUF) before the
 * library registers it.
 */
export class DownloadService {
  readonly changed: Signal<DownloadRecord[]>;
  private readonly options: DownloadOptions;
  private readonly active = new Map<string, Active>();
  private readonly stopReasons = new Map<string, StopReason>();
  private readonly hashes: RunDeps["hashes"] = new Map();
  /** Which queued downloads this process may run: all (the app), or the CLI's own. */
  private allowAll = false;
  private readonly allowed = new Set<string>();
  private closed = false;
  private ticker: NodeJS.Timeout | null = null;
  private lastPublish = 0;
  private publishTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<void> = Promise.resolve();
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
    private readonly paths: LowbitPaths,
    private readonly library: LibraryService,
    private readonly settings: SettingsService,
    options: Partial<DownloadOptions> = {},
  ) {
    this.options = {
      fetch: options.fetch ?? ((...args) => fetch(...args)),
      openWriter: options.openWriter ?? openFileWriter,
      freeBytes:
        options.freeBytes ??
        (async (folder) => {
          const stats = await statfs(folder);
          return stats.bavail * stats.bsize;
        }),
      retry: options.retry ?? defaultRetryPolicy,
      memory: options.memory ?? machineMemory,
      env: options.env ?? process.env,
      now: options.now ?? (() => new Date().toISOString()),
    };
    this.changed = new Signal(this.records());
    settings.changed.subscribe(() => this.pump());
  }

  /** At start-up: downloads whose process is gone go back to the queue, their data kept. */
  recoverInterrupted(): number {
    // This process is just starting, so nothing it owns is running yet.
    const count = requeueInterrupted(
      this.db,
      this.options.now(),
      (pid) => pid === null || pid === process.pid || processIsGone(pid),
    );
    this.publish();
    return count;
  }

  /**
   * Starts running the queue. The app and `lowbit serve` run all of it; `lowbit models pull`
   * runs only its own download (`only`), so a quick CLI command never starts others.
   */
  start(only?: string): void {
    if (only === undefined) {
      this.allowAll = true;
      this.startSweeper();
    } else {
      this.allowed.add(only);
    }
    this.pump();
  }

  /** The hub sources are looked up on: LOWBIT_HUB_URL, else the downloads.hubUrl setting. */
  hubUrl(): string {
    const fromEnv = this.options.env.LOWBIT_HUB_URL?.trim();
    const url =
      fromEnv !== undefined && fromEnv !== "" ? fromEnv : this.settings.get()["downloads.hubUrl"];
    return url.replace(/\/+$/, "");
  }

  list(): DownloadRecord[] {
    return this.records();
  }

  get(id: string): DownloadRecord {
    const stored = getDownload(this.db, id);
    if (stored === undefined) {
      throw new AppError(
        "not_found",
        `No download with id ${id}.`,
        "List downloads to see their ids.",
      );
    }
    return toRecord(stored, this.active.get(id)?.live);
  }

  search(source: string, signal?: AbortSignal): Promise<HubListing> {
    return searchRepo(this.http(), source, signal);
  }

  async check(source: string, sha256?: string, signal?: AbortSignal): Promise<DownloadCheck> {
    const plan = await resolvePlan(this.http(), source, sha256, signal);
    return preflight(
      plan,
      {
        http: this.http(),
        contextSize: this.settings.get()["runtime.contextSize"],
        kvTypes: this.settings.get()["runtime.kv"],
        memory: this.options.memory(),
        freeDiskBytes: await this.options.freeBytes(this.paths.models),
        diskMarginBytes,
      },
      signal,
    );
  }

  /**
   * Queues a download. The same source while an earlier download of it is unfinished resumes
   * that one instead (its data is kept), so running `pull` again after a crash continues.
   */
  async add(params: {
    source: string;
    sha256?: string | undefined;
    name?: string | undefined;
  }): Promise<DownloadRecord> {
    const plan = await resolvePlan(this.http(), params.source, params.sha256);
    const existing = listDownloads(this.db).find(
      (d) => d.source === plan.source && unfinished.has(d.state),
    );
    if (existing !== undefined) {
      if (existing.state === "paused" || existing.state === "failed") {
        return this.resume(existing.id);
      }
      return this.get(existing.id);
    }
    const firstSha = plan.files[0]?.sha256 ?? null;
    const known = firstSha === null ? undefined : findModelBySha256(this.db, firstSha);
    if (known !== undefined) {
      throw new AppError(
        "already_exists",
        `This model is already in the library as “${known.name}” (${known.id}).`,
        "Use the existing entry, or remove it first.",
      );
    }
    const sizes = plan.files.map((f) => f.sizeBytes);
    if (sizes.every((s) => s !== null)) {
      await this.ensureSpace(
        plan.title,
        sizes.reduce((a, b) => a + b, 0),
      );
    }
    const taken = new Set(listDownloads(this.db).flatMap((d) => d.files.map((f) => f.partialPath)));
    const names = freeFileNames(
      this.paths.models,
      plan.files.map((f) => f.fileName),
      taken,
    );
    const id = randomUUID();
    insertDownload(this.db, {
      id,
      source: plan.source,
      title: plan.title,
      name: params.name ?? null,
      state: "queued",
      checksum: plan.checksum,
      createdAt: this.options.now(),
      files: plan.files.map((file, part) => ({
        part,
        url: file.url,
        fileName: names[part] ?? file.fileName,
        partialPath: path.join(this.paths.models, `${names[part] ?? file.fileName}.partial`),
        sizeBytes: file.sizeBytes,
        expectedSha256: file.sha256,
        etag: null,
        receivedBytes: 0,
        complete: false,
        sha256: null,
      })),
    });
    this.publish();
    this.pump();
    return this.get(id);
  }

  /** Stops a download and keeps its data; a queued one just waits until resumed. */
  async pause(id: string): Promise<DownloadRecord> {
    const stored = this.require(id);
    this.refuseForeign(stored);
    if (this.active.has(id)) {
      await this.stop(id, "pause");
    } else if (stored.state === "queued") {
      updateDownload(this.db, id, { state: "paused", now: this.options.now() });
    } else if (stored.state !== "paused") {
      throw new AppError(
        "invalid_params",
        `The download of ${stored.title} is ${stored.state}; only a queued or running one can be paused.`,
        stored.state === "failed" ? "Press Retry to resume it, or Cancel to delete it." : undefined,
      );
    }
    this.publish();
    return this.get(id);
  }

  /** Puts a paused or failed download back in the queue, with the data it kept. */
  async resume(id: string): Promise<DownloadRecord> {
    const stored = this.require(id);
    if (stored.state === "paused" || stored.state === "failed") {
      updateDownload(this.db, id, { state: "queued", error: null, now: this.options.now() });
      this.publish();
      this.pump();
    } else if (stored.state === "done" || stored.state === "cancelled") {
      throw new AppError(
        "invalid_params",
        `The download of ${stored.title} is ${stored.state === "done" ? "finished" : "cancelled"}; there is nothing to resume.`,
        stored.state === "cancelled" ? "Add it again to download it from the start." : undefined,
      );
    }
    return this.get(id);
  }

  /** Stops a download and deletes its partial data. */
  async cancel(id: string): Promise<DownloadRecord> {
    const stored = this.require(id);
    if (stored.state === "done") {
      throw new AppError(
        "invalid_params",
        `The download of ${stored.title} has finished; its model is in the library.`,
        "Remove the model from the library to delete it.",
      );
    }
    this.refuseForeign(stored);
    if (this.active.has(id)) {
      await this.stop(id, "cancel");
    } else if (stored.state !== "cancelled") {
      await this.deletePartials(stored);
      updateDownload(this.db, id, { state: "cancelled", error: null, now: this.options.now() });
    }
    this.publish();
    return this.get(id);
  }

  /** Removes a finished, failed or cancelled download from the list (a failed one's data too). */
  async clear(id: string): Promise<{ removed: boolean }> {
    const stored = getDownload(this.db, id);
    if (stored === undefined) {
      return { removed: false };
    }
    if (stored.state !== "done" && stored.state !== "failed" && stored.state !== "cancelled") {
      throw new AppError(
        "invalid_params",
        `The download of ${stored.title} is still ${stored.state}.`,
        "Cancel it first.",
      );
    }
    await this.deletePartials(stored);
    deleteDownload(this.db, id);
    this.publish();
    return { removed: true };
  }

  /**
   * Follows a download to its end: progress packets as it goes, the verified model when it is
   * done, its error when it fails. Aborting `signal` cancels the download.
   */
  waitFor(
    id: string,
    options: { signal?: AbortSignal; onProgress?: (packet: DownloadProgress) => void } = {},
  ): Promise<PulledModel> {
    return followDownload(
      {
        changed: this.changed,
        records: () => this.records(),
        isLocal: (downloadId) => this.active.has(downloadId),
        refresh: () => this.publish(),
        cancel: (downloadId) => this.cancel(downloadId),
        model: (modelId) => this.library.get(modelId),
      },
      id,
      options,
    );
  }

  /** Resolves once the downloads stopped by dispose() have flushed what they received. */
  stopped(): Promise<void> {
    return this.stopping;
  }

  /** Stops every running download, keeping its data: the next start resumes them. */
  dispose(): void {
    if (this.closed) {
      return;
    }
    this.stopping = Promise.all([...this.active.values()].map((a) => a.finished)).then(
      () => undefined,
    );
    for (const [id, active] of this.active) {
      this.stopReasons.set(id, "shutdown");
      active.abort.abort(new AppError("cancelled", "Lowbit is closing."));
      updateDownload(this.db, id, { state: "queued", now: this.options.now() });
    }
    this.closed = true;
    if (this.ticker !== null) {
      clearInterval(this.ticker);
    }
    if (this.sweeper !== null) {
      clearInterval(this.sweeper);
    }
    if (this.publishTimer !== null) {
      clearTimeout(this.publishTimer);
    }
  }

  private pump(): void {
    if (this.closed || (!this.allowAll && this.allowed.size === 0)) {
      return;
    }
    const limit = this.settings.get()["downloads.concurrency"];
    for (const download of listDownloads(this.db)) {
      if (this.active.size >= limit) {
        break;
      }
      if (download.state !== "queued" || !(this.allowAll || this.allowed.has(download.id))) {
        continue;
      }
      if (claimDownload(this.db, download.id, process.pid, this.options.now())) {
        this.launch(download.id);
      }
    }
  }

  private launch(id: string): void {
    const abort = new AbortController();
    const live: LiveDownload = {
      phase: "connecting",
      detail: null,
      retryAt: null,
      received: new Map(),
      meter: new RateMeter(),
    };
    const active: Active = { live, abort, finished: Promise.resolve() };
    this.active.set(id, active);
    this.startTicker();
    active.finished = this.execute(id, active).finally(() => {
      this.active.delete(id);
      this.stopReasons.delete(id);
      if (!this.closed) {
        this.publish();
        this.pump();
      }
    });
    this.publish();
  }

  private async execute(id: string, active: Active): Promise<void> {
    try {
      const stored = this.require(id);
      const result = await runDownload(stored, active.live, active.abort.signal, this.runDeps());
      if (this.closed) {
        return;
      }
      updateDownload(this.db, id, {
        state: "done",
        modelId: result.modelId,
        error: null,
        now: this.options.now(),
      });
    } catch (error) {
      if (this.closed) {
        return;
      }
      const reason = this.stopReasons.get(id);
      const stored = getDownload(this.db, id);
      if (reason === "pause") {
        updateDownload(this.db, id, { state: "paused", now: this.options.now() });
      } else if (reason === "cancel") {
        if (stored !== undefined) {
          await this.deletePartials(stored);
        }
        updateDownload(this.db, id, { state: "cancelled", error: null, now: this.options.now() });
      } else {
        const data = toErrorData(error);
        // Bad data is worth nothing: a retry must fetch it again from the start.
        if (
          stored !== undefined &&
          (data.code === "checksum_mismatch" || data.code === "bad_model_file")
        ) {
          await this.deletePartials(stored);
        }
        updateDownload(this.db, id, { state: "failed", error: data, now: this.options.now() });
      }
    }
  }

  private runDeps(): RunDeps {
    return {
      db: this.db,
      library: this.library,
      fetch: this.options.fetch,
      openWriter: this.options.openWriter,
      policy: this.options.retry,
      headers: (url) => this.authHeaders(url),
      hashes: this.hashes,
      ensureSpace: (title, bytes) => this.ensureSpace(title, bytes),
      publish: () => this.publishSoon(),
      isClosed: () => this.closed,
    };
  }

  private async stop(id: string, reason: StopReason): Promise<void> {
    const active = this.active.get(id);
    if (active === undefined) {
      return;
    }
    this.stopReasons.set(id, reason);
    active.abort.abort(new AppError("cancelled", reason === "pause" ? "Paused." : "Cancelled."));
    await active.finished;
  }

  private async ensureSpace(title: string, bytes: number): Promise<void> {
    const free = await this.options.freeBytes(this.paths.models);
    if (free < bytes + diskMarginBytes) {
      throw new AppError(
        "disk_full",
        `Not enough disk space for ${title}: it needs ${formatBytes(bytes)} and ${formatBytes(free)} is free in ${this.paths.models}.`,
        "Free some space, then try again.",
      );
    }
  }

  private async deletePartials(stored: StoredDownload): Promise<void> {
    for (const file of stored.files) {
      this.hashes.delete(file.partialPath);
      await rm(file.partialPath, { force: true });
    }
  }

  /** Another process (`lowbit models pull`) is writing its file: only that process may stop it. */
  private refuseForeign(stored: StoredDownload): void {
    if (stored.state === "running" && !this.active.has(stored.id)) {
      throw new AppError(
        "busy",
        `The download of ${stored.title} runs in another Lowbit process (lowbit models pull).`,
        "Stop it there: Ctrl-C pauses it, and it can then be resumed here.",
      );
    }
  }

  private require(id: string): StoredDownload {
    const stored = getDownload(this.db, id);
    if (stored === undefined) {
      throw new AppError(
        "not_found",
        `No download with id ${id}.`,
        "List downloads to see their ids.",
      );
    }
    return stored;
  }

  private http(): HubHttp {
    return {
      fetch: this.options.fetch,
      hubUrl: this.hubUrl(),
      headers: (url) => this.authHeaders(url),
    };
  }

  /** HF_TOKEN goes to the hub only: never to a CDN or any other host. */
  private authHeaders(url: string): Record<string, string> {
    const token = this.options.env.HF_TOKEN?.trim();
    if (token === undefined || token === "") {
      return {};
    }
    try {
      return new URL(url).origin === new URL(this.hubUrl()).origin
        ? { authorization: `Bearer ${token}` }
        : {};
    } catch {
      return {};
    }
  }

  private records(): DownloadRecord[] {
    const now = Date.now();
    return listDownloads(this.db).map((d) => toRecord(d, this.active.get(d.id)?.live, now));
  }

  private publish(): void {
    if (this.closed) {
      return;
    }
    this.lastPublish = Date.now();
    this.changed.set(this.records());
  }

  /** Byte counts change many times a second; subscribers hear about them a few times a second. */
  private publishSoon(): void {
    if (this.closed || this.publishTimer !== null) {
      return;
    }
    const wait = Math.max(0, 200 - (Date.now() - this.lastPublish));
    this.publishTimer = setTimeout(() => {
      this.publishTimer = null;
      this.publish();
    }, wait);
  }

  /**
   * While the queue runs here (the app, `lowbit serve`), downloads that another process runs
   * (`lowbit models pull`) are watched: their progress is shown, and if that process dies its
   * download comes back to this queue instead of staying "running" until the next start.
   */
  private startSweeper(): void {
    if (this.sweeper !== null) {
      return;
    }
    this.sweeper = setInterval(() => {
      if (this.closed) {
        return;
      }
      const foreign = listDownloads(this.db).filter(
        (d) => d.state === "running" && !this.active.has(d.id),
      );
      if (foreign.length === 0) {
        return;
      }
      requeueInterrupted(
        this.db,
        this.options.now(),
        (pid) => pid !== process.pid && (pid === null || processIsGone(pid)),
      );
      this.publish();
      this.pump();
    }, 2000);
    this.sweeper.unref();
  }

  /** Once a second while anything runs, so rates fall during a stall and retry countdowns tick. */
  private startTicker(): void {
    if (this.ticker !== null) {
      return;
    }
    this.ticker = setInterval(() => {
      if (this.active.size === 0) {
        clearInterval(this.ticker!);
        this.ticker = null;
        return;
      }
      this.publish();
    }, 1000);
    this.ticker.unref();
  }
}

/** Whether no process has this id any more (it crashed or was killed). */
function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
