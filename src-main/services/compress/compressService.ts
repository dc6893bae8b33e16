import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Database } from "better-sqlite3";
import { z } from "zod";
import {
  AppError,
  type Evaluation,
  type ExportResult,
  levelKvTypeSchema,
  type LevelKvType,
  type LevelQuality,
  type LevelsResult,
  type Model,
  type QuantizeProgress,
  type Run,
} from "../../contract/index.js";
import type { JobService } from "../jobs/jobService.js";
import type { LibraryService } from "../library/libraryService.js";
import type { WorkerSpawner } from "../runtime/workerProcess.js";
import type { SettingsService } from "../settings/settingsService.js";
import { Calibrator } from "./calibration.js";
import { describeLevels } from "./describeLevels.js";
import { exportModel, type ExportRequest } from "./exportModel.js";
import { LevelPlanner } from "./levelPlanner.js";
import { freeOutputPath } from "./outputPath.js";
import { quantizeModel, type QuantizeRequest } from "./quantizeModel.js";
import { requireFile } from "./modelFile.js";
import { RunsService } from "./runsService.js";
import { TurnQueue } from "./turnQueue.js";

export interface CompressCallContext<P> {
  signal?: AbortSignal;
  progress?: (packet: P) => void;
}

/**
 * Compression on the device: the levels a model can take (exact sizes from llama.cpp's dry run),
 * quantization jobs (one at a time, each in a worker process of its own), the runs they leave,
 * and exports with provenance.
 */
export class CompressService {
  readonly runs: RunsService;
  private readonly planner: LevelPlanner;
  private readonly calibrator: Calibrator;
  private readonly turns = new TurnQueue();
  /** Quantizations in progress by run id, for runs.cancel. */
  private readonly active = new Map<string, AbortController>();
  /** Measured quality per level of a model; the evaluation service provides it. */
  qualityOf: ((model: Model) => Promise<(level: string) => LevelQuality>) | null = null;
  /** The newest measurement of a model, for the quality an export carries. */
  measurementOf: ((model: Model) => Evaluation | undefined) | null = null;

  constructor(
    private readonly db: Database,
    private readonly home: string,
    private readonly library: LibraryService,
    private readonly jobs: JobService,
    private readonly settings: SettingsService,
    private readonly spawn: WorkerSpawner,
  ) {
    this.runs = new RunsService(db);
    this.planner = new LevelPlanner(spawn);
    this.calibrator = new Calibrator(path.join(home, "imatrix"));
  }

  /** At start-up, when no other process has the home open: runs a dead process left unfinished have failed. */
  recoverInterrupted(): number {
    return this.runs.recoverInterrupted();
  }

  async levels(
    modelId: string,
    options: {
      contextSize?: number | undefined;
      kvTypeK?: LevelKvType | undefined;
      kvTypeV?: LevelKvType | undefined;
    } = {},
  ): Promise<LevelsResult> {
    const model = requireFile(this.library.get(modelId));
    const chat = this.chatKvTypes();
    return describeLevels(
      model,
      this.planner,
      {
        contextSize: options.contextSize ?? this.settings.get()["runtime.contextSize"],
        kvTypeK: options.kvTypeK ?? chat.k,
        kvTypeV: options.kvTypeV ?? chat.v,
      },
      await this.qualityOf?.(model),
    );
  }

  async quantize(
    request: QuantizeRequest,
    ctx: CompressCallContext<QuantizeProgress> = {},
  ): Promise<{ run: Run; model: Model; reused: boolean }> {
    const source = this.library.get(request.modelId);
    const title = `Quantize ${source.name} to ${request.level.toUpperCase()}`;
    const runId = randomUUID();
    const stop = new AbortController();
    this.active.set(runId, stop);
    const signal =
      ctx.signal === undefined ? stop.signal : AbortSignal.any([ctx.signal, stop.signal]);
    return this.jobs.run(
      "quantize",
      title,
      request,
      signal,
      async (job) => {
        let release: (() => void) | null = null;
        try {
          return await quantizeModel(
            {
              db: this.db,
              library: this.library,
              runs: this.runs,
              planner: this.planner,
              calibrator: this.calibrator,
              spawn: this.spawn,
              modelsFolder: path.join(this.home, "models"),
            },
            request,
            {
              runId,
              jobId: job.id,
              signal: job.signal,
              setPartialPath: job.setPartialPath,
              progress: (packet) => {
                ctx.progress?.(packet);
                job.progress(packet.fraction);
              },
              waitTurn: async () => {
                release = await this.turns.acquire(job.signal);
                job.started();
              },
            },
          );
        } finally {
          (release as (() => void) | null)?.();
          this.active.delete(runId);
        }
      },
      { queued: true },
    );
  }

  /** Cancels a queued or running quantization; false when no such run is in progress here. */
  cancel(runId: string): boolean {
    this.runs.get(runId);
    const stop = this.active.get(runId);
    stop?.abort(new AppError("cancelled", "Cancelled."));
    return stop !== undefined;
  }

  async export(
    request: ExportRequest,
    ctx: CompressCallContext<{ phase: "writing" | "hashing"; fraction: number }> = {},
  ): Promise<ExportResult> {
    const title = `Export to ${path.basename(request.path)}`;
    return this.jobs.run("export", title, request, ctx.signal, (job) =>
      exportModel(
        { library: this.library, runs: this.runs, measurementOf: this.measurementOf },
        request,
        {
          signal: job.signal,
          progress: (packet) => {
            ctx.progress?.(packet);
            job.progress(packet.fraction);
          },
        },
      ),
    );
  }

  /** ~/Downloads/<model file name> (or the home folder), numbered past existing files. */
  suggestExportPath(modelId: string): string {
    const model = this.library.get(modelId);
    const downloads = path.join(os.homedir(), "Downloads");
    const folder = existsSync(downloads) ? downloads : os.homedir();
    return freeOutputPath(folder, path.basename(model.path));
  }

  /** The KV types the chat uses (the `runtime.kv` setting of the KV controls), F16 if unset. */
  private chatKvTypes(): { k: LevelKvType; v: LevelKvType } {
    const kv = (this.settings.get() as Record<string, unknown>)["runtime.kv"];
    const parsed = z.object({ k: levelKvTypeSchema, v: levelKvTypeSchema }).safeParse(kv);
    return parsed.success ? parsed.data : { k: "f16", v: "f16" };
  }

  /** App shutdown: running quantizations stop (their workers with them). */
  dispose(): void {
    for (const stop of this.active.values()) {
      stop.abort(new AppError("cancelled", "Lowbit is closing."));
    }
    this.planner.dispose();
  }
}
