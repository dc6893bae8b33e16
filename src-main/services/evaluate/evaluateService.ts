import path from "node:path";
import type { Database } from "better-sqlite3";
import {
  AppError,
  paretoFrontier,
  type EvaluateInfo,
  type EvaluateProgress,
  type Evaluation,
  type LevelQuality,
  type Model,
  type SweepItem,
  type SweepProgress,
} from "../../contract/index.js";
import { Signal } from "../../rpc/signal.js";
import type { CompressService } from "../compress/compressService.js";
import { TurnQueue } from "../compress/turnQueue.js";
import type { JobService } from "../jobs/jobService.js";
import type { LibraryService } from "../library/libraryService.js";
import type { WorkerSpawner } from "../runtime/workerProcess.js";
import type { SettingsService } from "../settings/settingsService.js";
import {
  deleteEvaluation,
  failUnfinishedEvaluations,
  getEvaluation,
  listEvaluations,
  measurementsAgainst,
} from "../storage/queries/evaluations.js";
import { DEFAULT_CHUNKS, DEFAULT_CONTEXT } from "./defaults.js";
import { evaluateModel } from "./evaluateModel.js";
import { resolveEvalText } from "./evalText.js";
import { LogProbCache } from "./logProbCache.js";
import {
  existingMeasurement,
  prepareEvaluation,
  type EvaluateRequest,
} from "./prepareEvaluation.js";
import { runSweep, type SweepRequest } from "./sweep.js";

const PUBLISHED = 500;

export interface EvaluateCallContext<P> {
  signal?: AbortSignal | undefined;
  progress?: ((packet: P) => void) | undefined;
}

/**
 * What compression costs: measurements of a model against its base (llama-perplexity's method,
 * in worker processes of their own, one at a time), the cache of base passes they share, level
 * sweeps, and the measured quality the compression slider shows.
 */
export class EvaluateService {
  readonly changed: Signal<Evaluation[]>;
  readonly cache: LogProbCache;
  private readonly turns = new TurnQueue();
  private readonly active = new Set<AbortController>();

  constructor(
    private readonly db: Database,
    home: string,
    private readonly library: LibraryService,
    private readonly jobs: JobService,
    private readonly settings: SettingsService,
    private readonly compress: CompressService,
    private readonly spawn: WorkerSpawner,
    private readonly now: () => string = () => new Date().toISOString(),
  ) {
    this.changed = new Signal(listEvaluations(db, PUBLISHED));
    this.cache = new LogProbCache(
      path.join(home, "cache", "logprobs"),
      () => this.settings.get()["evaluate.cacheBytes"],
    );
  }

  /** At start-up, when no other process has the home open: measurements a dead process left unfinished have failed. */
  recoverInterrupted(): number {
    const failed = failUnfinishedEvaluations(
      this.db,
      {
        code: "internal",
        message: "Lowbit stopped while this measurement was in progress.",
        hint: "Start it again.",
      },
      this.now(),
    );
    if (failed > 0) {
      this.publish();
    }
    return failed;
  }

  /** Measures a model (or returns the same measurement made before, unless `force`). */
  async evaluate(
    request: EvaluateRequest,
    ctx: EvaluateCallContext<EvaluateProgress> = {},
  ): Promise<Evaluation> {
    return (await this.measure(request, ctx)).evaluation;
  }

  async measure(
    request: EvaluateRequest,
    ctx: EvaluateCallContext<EvaluateProgress> = {},
  ): Promise<{ evaluation: Evaluation; reused: boolean }> {
    const prepared = await prepareEvaluation(
      { library: this.library, runs: this.compress.runs },
      request,
    );
    const existing = request.force ? undefined : existingMeasurement(this.db, prepared);
    if (existing !== undefined) {
      return { evaluation: existing, reused: true };
    }
    const title = `Measure ${prepared.model.name} against ${prepared.base.name}`;
    const evaluation = await this.track(ctx.signal, (signal) =>
      this.jobs.run(
        "evaluate",
        title,
        request,
        signal,
        async (job) => {
          let release: (() => void) | null = null;
          try {
            return await evaluateModel(
              {
                db: this.db,
                cache: this.cache,
                spawn: this.spawn,
                publish: () => this.publish(),
                now: this.now,
              },
              prepared,
              {
                jobId: job.id,
                threads: request.threads,
                signal: job.signal,
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
          }
        },
        { queued: true },
      ),
    );
    return { evaluation, reused: false };
  }

  /** Quantizes and measures each level, skipping what was done before. */
  async sweep(
    request: SweepRequest,
    ctx: EvaluateCallContext<SweepProgress> = {},
  ): Promise<{ items: SweepItem[] }> {
    const source = this.library.get(request.modelId);
    const title = `Compare ${request.levels.length} levels of ${source.name}`;
    return this.track(ctx.signal, (signal) =>
      this.jobs.run("sweep", title, request, signal, (job) =>
        runSweep(
          {
            library: this.library,
            compress: this.compress,
            measurementsAgainst: (sha) => measurementsAgainst(this.db, sha),
            measure: (req, inner) =>
              this.measure(req, {
                signal: inner.signal,
                progress: (p) => inner.progress?.(p.fraction, phaseText(p)),
              }),
          },
          request,
          {
            signal: job.signal,
            progress: (packet) => {
              ctx.progress?.(packet);
              job.progress(packet.fraction);
            },
          },
        ),
      ),
    );
  }

  list(limit: number, filter: { modelId?: string; runId?: string } = {}): Evaluation[] {
    return listEvaluations(this.db, limit, filter);
  }

  get(id: string): Evaluation {
    const evaluation = getEvaluation(this.db, id);
    if (evaluation === undefined) {
      throw new AppError(
        "not_found",
        `No measurement with id ${id}.`,
        "List measurements to see their ids.",
      );
    }
    return evaluation;
  }

  remove(id: string): boolean {
    const evaluation = this.get(id);
    if (evaluation.status === "queued" || evaluation.status === "running") {
      throw new AppError(
        "busy",
        "That measurement is still running.",
        "Cancel it first, or wait for it to end.",
      );
    }
    const removed = deleteEvaluation(this.db, id);
    this.publish();
    return removed;
  }

  /** The newest finished measurement of a model (by its file's sha256), against any base. */
  newestOf(model: { sha256: string }): Evaluation | undefined {
    return listEvaluations(this.db, 5000).find(
      (e) => e.model.sha256 === model.sha256 && e.status === "done" && e.metrics !== null,
    );
  }

  /** The newest finished measurement of each run, for tables of runs. */
  latestByRun(): Map<string, Evaluation> {
    const latest = new Map<string, Evaluation>();
    for (const evaluation of listEvaluations(this.db, 5000)) {
      if (evaluation.runId !== null && evaluation.status === "done") {
        if (!latest.has(evaluation.runId)) {
          latest.set(evaluation.runId, evaluation);
        }
      }
    }
    return latest;
  }

  /**
   * The compression slider's "quality" per level of `model`: the newest measurement of that
   * level against it, on the default text when there is one, with whether it is on the frontier.
   */
  async qualityFor(model: Model): Promise<(level: string) => LevelQuality> {
    const all = measurementsAgainst(this.db, model.sha256).filter((e) => e.metrics !== null);
    const defaultSha = (await resolveEvalText(undefined).catch(() => null))?.sha256;
    const byLevel = new Map<string, Evaluation>();
    for (const evaluation of all) {
      const level = evaluation.model.level;
      if (level === null) {
        continue;
      }
      const known = byLevel.get(level);
      const preferred =
        known === undefined ||
        (known.text.sha256 !== defaultSha && evaluation.text.sha256 === defaultSha);
      if (preferred) {
        byLevel.set(level, evaluation);
      }
    }
    const chosen = [...byLevel.values()];
    const frontier = new Set(
      paretoFrontier(
        chosen,
        (e) => e.model.sizeBytes,
        (e) => e.metrics!.kld,
      ).map((e) => e.id),
    );
    return (level) => {
      const evaluation = byLevel.get(level);
      if (evaluation === undefined || evaluation.metrics === null) {
        return null;
      }
      return {
        meanKld: evaluation.metrics.kld,
        pplRatio: evaluation.metrics.pplRatio,
        sameTopRate: evaluation.metrics.top1,
        runId: evaluation.runId ?? "",
        deltaPpl: evaluation.metrics.deltaPpl,
        evaluationId: evaluation.id,
        onFrontier: frontier.has(evaluation.id),
      };
    };
  }

  async info(): Promise<EvaluateInfo> {
    const text = await resolveEvalText(undefined).catch(() => null);
    return {
      defaultText: text === null ? null : { name: text.name, sha256: text.sha256 },
      defaultContextSize: DEFAULT_CONTEXT,
      defaultChunks: DEFAULT_CHUNKS,
      cache: { folder: this.cache.folder, capBytes: this.cache.cap, ...this.cache.stats() },
    };
  }

  clearCache(): { files: number; bytes: number } {
    if (this.active.size > 0) {
      throw new AppError(
        "busy",
        "A measurement is running and may be using the cache.",
        "Wait for it to end, then clear the cache.",
      );
    }
    return this.cache.clear();
  }

  /** App shutdown: running measurements and sweeps stop (their workers with them). */
  dispose(): void {
    for (const stop of this.active) {
      stop.abort(new AppError("cancelled", "Lowbit is closing."));
    }
  }

  private async track<T>(
    outer: AbortSignal | undefined,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const stop = new AbortController();
    this.active.add(stop);
    try {
      return await work(outer === undefined ? stop.signal : AbortSignal.any([outer, stop.signal]));
    } finally {
      this.active.delete(stop);
    }
  }

  private publish(): void {
    this.changed.set(listEvaluations(this.db, PUBLISHED));
  }
}

/** A measurement's progress in words, for the sweep's detail line. */
export function phaseText(p: EvaluateProgress): string {
  const of = p.chunk === undefined ? "" : `, chunk ${p.chunk} of ${p.chunks ?? "?"}`;
  switch (p.phase) {
    case "queued":
      return "waiting for the measurement before it";
    case "base":
      return `base model's pass${of}`;
    case "model":
      return `measuring${of}`;
    case "saving":
      return "saving";
  }
}
