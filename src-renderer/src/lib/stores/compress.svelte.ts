import type {
  AppErrorData,
  CompressionLevel,
  LevelsResult,
  Model,
  QuantizeMethod,
  QuantizeProgress,
  Run,
} from "@contract";
import { compressService } from "../services/compress";
import { errorData, isCancelled } from "../utils/errors";
import { library } from "./library.svelte";
import { toasts } from "./toasts.svelte";

export interface CompressJob {
  modelName: string;
  level: string;
  progress: QuantizeProgress | null;
  controller: AbortController;
}

export interface CompressOutcome {
  run: Run;
  model: Model;
  reused: boolean;
}

/** The level a new source starts on: Q4_K_M when there is one, else the middle stop. */
const PREFERRED_LEVEL = "Q4_K_M";

/**
 * The Compress view's state: which model is the source, its levels (exact sizes from the
 * server's dry run), the stop the slider is on, the calibration choice, and the job in flight.
 * Runs follow the server's `runs.changed` signal, so jobs started elsewhere show up too.
 */
class CompressStore {
  sourceId = $state<string | null>(null);
  levels = $state.raw<LevelsResult | null>(null);
  loading = $state(false);
  error = $state.raw<AppErrorData | null>(null);
  /** Position on the slider, in `levels.levels` order (most bits first). */
  index = $state(0);
  /** null: the stop's own default (on where llama.cpp needs it and below 4 bits). */
  calibrate = $state<boolean | null>(null);
  /** null: the stop's own default rounding (calibrated for PTQTP, plain for the rest). */
  method = $state<QuantizeMethod | null>(null);
  /** A calibration text the user typed; empty for the starter model's text. */
  textPath = $state("");
  allowRequantize = $state(false);
  job = $state.raw<CompressJob | null>(null);
  jobError = $state.raw<AppErrorData | null>(null);
  outcome = $state.raw<CompressOutcome | null>(null);
  runs = $state.raw<Run[]>([]);

  source: Model | null = $derived(library.byId(this.sourceId));
  stop: CompressionLevel | null = $derived(this.levels?.levels[this.index] ?? null);
  /** Whether the stop on the slider will be calibrated. */
  calibrating: boolean = $derived(
    this.stop === null
      ? false
      : this.stop.needsImatrix || (this.calibrate ?? this.stop.imatrixDefault),
  );
  /** How the stop on the slider will round its weights. */
  rounding: QuantizeMethod = $derived(
    this.stop?.gptqOffered === true ? (this.method ?? this.stop.methodDefault ?? "rtn") : "rtn",
  );
  /** The exact size for the choice made (calibration can change a level's mix). */
  stopSize: number | null = $derived(
    this.stop === null
      ? null
      : ((this.calibrating ? this.stop.sizeBytesWithImatrix : this.stop.sizeBytesWithoutImatrix) ??
          this.stop.sizeBytes),
  );
  canStart: boolean = $derived(
    this.stop !== null &&
      this.stop.available &&
      this.job === null &&
      (this.levels?.model.quantized !== true || this.allowRequantize),
  );

  private stopRuns: (() => void) | null = null;
  private requested = 0;

  init(): void {
    this.stopRuns ??= compressService.watchRuns((runs) => {
      this.runs = runs;
    });
    if (this.sourceId === null || this.source === null) {
      const start = library.selected ?? library.models.find((m) => m.source === "bundled") ?? null;
      if (start !== null) {
        void this.choose(start.id);
      }
    }
  }

  /** Makes `modelId` the source and loads its levels. */
  async choose(modelId: string): Promise<void> {
    const keepLevel = this.stop?.level ?? PREFERRED_LEVEL;
    this.sourceId = modelId;
    this.allowRequantize = false;
    this.calibrate = null;
    this.outcome = null;
    await this.reload(keepLevel);
  }

  async reload(keepLevel = this.stop?.level ?? PREFERRED_LEVEL): Promise<void> {
    const modelId = this.sourceId;
    if (modelId === null) {
      return;
    }
    const ticket = ++this.requested;
    this.loading = true;
    this.error = null;
    try {
      const levels = await compressService.levels(modelId);
      if (ticket !== this.requested) {
        return;
      }
      this.levels = levels;
      const found = levels.levels.findIndex((l) => l.level === keepLevel);
      const firstUsable = levels.levels.findIndex((l) => l.available);
      this.index = found >= 0 ? found : Math.max(0, firstUsable);
    } catch (error) {
      if (ticket === this.requested) {
        this.levels = null;
        this.error = errorData(error);
      }
    } finally {
      if (ticket === this.requested) {
        this.loading = false;
      }
    }
  }

  moveTo(index: number): void {
    const count = this.levels?.levels.length ?? 0;
    this.index = Math.min(Math.max(0, index), Math.max(0, count - 1));
    this.calibrate = null;
    this.method = null;
  }

  setMethod(value: QuantizeMethod): void {
    this.method = value;
  }

  setCalibrate(value: boolean): void {
    this.calibrate = value;
  }

  setTextPath(value: string): void {
    this.textPath = value;
  }

  setAllowRequantize(value: boolean): void {
    this.allowRequantize = value;
  }

  /** Runs the stop on the slider as a job; the result lands in the library. */
  async start(): Promise<void> {
    const stop = this.stop;
    const source = this.source;
    if (!this.canStart || stop === null || source === null) {
      return;
    }
    const controller = new AbortController();
    this.job = { modelName: source.name, level: stop.level, progress: null, controller };
    this.jobError = null;
    this.outcome = null;
    const text = this.textPath.trim();
    try {
      const outcome = await compressService.quantize(
        {
          modelId: source.id,
          level: stop.level,
          imatrix: stop.needsImatrix ? "on" : this.calibrating ? "on" : "off",
          ...(this.calibrating && text !== "" ? { imatrixTextPath: text } : {}),
          allowRequantize: this.allowRequantize,
          method: this.rounding,
          ...(this.rounding === "gptq" && text !== "" ? { calibrationTextPath: text } : {}),
        },
        (progress) => {
          if (this.job?.controller === controller) {
            this.job = { ...this.job, progress };
          }
        },
        controller.signal,
      );
      this.outcome = outcome;
    } catch (error) {
      if (!isCancelled(error)) {
        this.jobError = errorData(error);
      } else {
        toasts.info("Compression cancelled; nothing was kept.");
      }
    } finally {
      this.job = null;
    }
  }

  cancel(): void {
    this.job?.controller.abort();
  }

  /** Cancels a run from its id (one started in another window or by the CLI). */
  async cancelRun(id: string): Promise<void> {
    try {
      const { cancelled } = await compressService.cancelRun(id);
      if (!cancelled) {
        toasts.info("That run had already finished.");
      }
    } catch (error) {
      toasts.error(error);
    }
  }

  dismissOutcome(): void {
    this.outcome = null;
    this.jobError = null;
  }
}

export const compress = new CompressStore();
