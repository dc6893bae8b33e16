import { mkdirSync } from "node:fs";
import os from "node:os";
import type { Database } from "better-sqlite3";
import type { AppInfo } from "../contract/index.js";
import { ChatService } from "./chat/chatService.js";
import { CompressService } from "./compress/compressService.js";
import { HomeInstances } from "./config/homeInstances.js";
import { pathsFor, resourcesDir, type LowbitPaths } from "./config/paths.js";
import { appVersion } from "./config/version.js";
import { DownloadService, type DownloadOptions } from "./downloads/downloadService.js";
import { EvaluateService } from "./evaluate/evaluateService.js";
import { JobService } from "./jobs/jobService.js";
import { LibraryService } from "./library/libraryService.js";
import { ExtendedRuntimeProbe } from "./runtime/extendedProbe.js";
import { KvService } from "./runtime/kvService.js";
import { ModelRuntime } from "./runtime/modelRuntime.js";
import { spawnNodeWorker, type WorkerSpawner } from "./runtime/workerProcess.js";
import { SettingsService } from "./settings/settingsService.js";
import { openDatabase } from "./storage/database.js";

export interface LowbitOptions {
  home: string;
  shell: AppInfo["shell"];
  /** How to start the model worker; Electron passes a utilityProcess spawner. */
  spawnWorker?: WorkerSpawner;
  /** The OS file dialog, where there is one. */
  pickModelFile?: () => Promise<string | null>;
  /** Register the bundled starter model on first start. Defaults to true. */
  registerStarterModel?: boolean;
  /**
   * Run the download queue (resuming downloads an earlier run left unfinished). Defaults to
   * true except for the CLI, whose `pull` runs only its own download.
   */
  runDownloads?: boolean;
  /** Download plumbing that tests replace (a writer that fills the disk, short retry waits). */
  downloads?: Partial<DownloadOptions>;
}

export interface Lowbit {
  readonly paths: LowbitPaths;
  readonly db: Database;
  readonly settings: SettingsService;
  readonly jobs: JobService;
  readonly library: LibraryService;
  readonly runtime: ModelRuntime;
  readonly chat: ChatService;
  readonly kv: KvService;
  readonly downloads: DownloadService;
  readonly compress: CompressService;
  /** Measuring what compression costs (PPL, KL divergence, speed), sweeps, the runs' metrics. */
  readonly evaluate: EvaluateService;
  /** Whether the Lowbit extended runtime is loaded (checked once, on first ask). */
  readonly extendedRuntime: ExtendedRuntimeProbe;
  readonly pickModelFile: (() => Promise<string | null>) | undefined;
  info(): AppInfo;
  close(): void;
}

/** Opens Lowbit's services over one home folder. Used by the host, the CLI, Electron and tests. */
export async function openLowbit(options: LowbitOptions): Promise<Lowbit> {
  const paths = pathsFor(options.home);
  mkdirSync(paths.models, { recursive: true });
  const db = openDatabase(paths.database);
  const settings = new SettingsService(db);
  const jobs = new JobService(db);
  // Jobs, runs and measurements left "running" are only ours to fail when no other live process
  // has this home open (a CLI command during the app's sweep must not end the sweep).
  const instances = new HomeInstances(paths.home);
  const alone = instances.register().length === 0;
  if (alone) {
    jobs.recoverInterrupted();
  }
  const library = new LibraryService(db, paths, settings, resourcesDir());
  const runtime = new ModelRuntime(options.spawnWorker ?? spawnNodeWorker);
  const chat = new ChatService(db, library, runtime, settings);
  const kv = new KvService(library, runtime, settings, chat);
  const downloads = new DownloadService(db, paths, library, settings, options.downloads);
  // Compression runs its native work in worker processes of its own, never in the chat's.
  const compress = new CompressService(
    db,
    paths.home,
    library,
    jobs,
    settings,
    options.spawnWorker ?? spawnNodeWorker,
  );
  // Measurements run in worker processes of their own too; the slider shows what they found.
  const evaluate = new EvaluateService(
    db,
    paths.home,
    library,
    jobs,
    settings,
    compress,
    options.spawnWorker ?? spawnNodeWorker,
  );
  compress.qualityOf = (model) => evaluate.qualityFor(model);
  compress.measurementOf = (model) => evaluate.newestOf(model);
  if (alone) {
    compress.recoverInterrupted();
    evaluate.recoverInterrupted();
  }
  downloads.recoverInterrupted();
  if (options.runDownloads ?? options.shell !== "cli") {
    downloads.start();
  }
  if (options.registerStarterModel ?? true) {
    await library.registerStarterModel();
  }
  let closed = false;
  return {
    paths,
    db,
    settings,
    jobs,
    library,
    runtime,
    chat,
    kv,
    downloads,
    compress,
    evaluate,
    extendedRuntime: new ExtendedRuntimeProbe(),
    pickModelFile: options.pickModelFile,
    info: () => ({
      version: appVersion(),
      home: paths.home,
      shell: options.shell,
      platform: `${process.platform}-${process.arch}`,
      cpus: os.availableParallelism(),
      totalMemoryBytes: os.totalmem(),
      canPickFiles: options.pickModelFile !== undefined,
    }),
    close: () => {
      if (closed) {
        return;
      }
      closed = true;
      downloads.dispose();
      evaluate.dispose();
      compress.dispose();
      runtime.dispose();
      db.close();
      instances.unregister();
    },
  };
}
