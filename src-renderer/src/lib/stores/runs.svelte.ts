import type {
  AppErrorData,
  EvaluateInfo,
  EvaluateProgress,
  Evaluation,
  Run,
  SweepItem,
  SweepProgress,
} from "@contract";
import {
  buildRows,
  filterRows,
  sortRows,
  type RowFilter,
  type RunRow,
  type SortKey,
  type TextChoice,
} from "../components/app/runs/runRows";
import type { XAxis, YAxis } from "../components/app/runs/runsText";
import { compressService } from "../services/compress";
import { evaluateService, type MeasureOptions } from "../services/evaluate";
import { errorData, isCancelled } from "../utils/errors";
import { toasts } from "./toasts.svelte";

export interface SweepJob {
  modelName: string;
  levels: string[];
  progress: SweepProgress | null;
  controller: AbortController;
}

export interface MeasureJob {
  rowKey: string;
  progress: EvaluateProgress | null;
  controller: AbortController;
}

/**
 * The Runs view's state: every run and measurement (pushed by `runs.changed` and
 * `evaluate.changed`, so work started anywhere shows up), the table's filter and sort, the
 * chart's axes, the selected and compared rows, and the sweep or measurement in flight.
 */
class RunsStore {
  runs = $state.raw<Run[]>([]);
  evaluations = $state.raw<Evaluation[]>([]);
  info = $state.raw<EvaluateInfo | null>(null);
  /** The default text's sha256 once known: measurements on it are the ones compared. */
  text = $state<TextChoice>("any");
  filter = $state<RowFilter>({ source: "all", query: "", status: "all" });
  sortKey = $state<SortKey>("when");
  sortDirection = $state<"asc" | "desc">("desc");
  xAxis = $state<XAxis>("size");
  yAxis = $state<YAxis>("kld");
  selectedKey = $state<string | null>(null);
  /** Up to two rows, compared side by side. */
  compared = $state.raw<string[]>([]);
  sweep = $state.raw<SweepJob | null>(null);
  sweepError = $state.raw<AppErrorData | null>(null);
  sweepResult = $state.raw<SweepItem[] | null>(null);
  measuring = $state.raw<MeasureJob | null>(null);

  allRows: RunRow[] = $derived(buildRows(this.runs, this.evaluations, this.text));
  rows: RunRow[] = $derived(
    sortRows(filterRows(this.allRows, this.filter), this.sortKey, this.sortDirection),
  );
  /** Rows with a measurement, for the chart (the table's filter applies). */
  measured: RunRow[] = $derived(this.rows.filter((r) => r.evaluation?.metrics != null));
  selected: RunRow | null = $derived(this.allRows.find((r) => r.key === this.selectedKey) ?? null);
  comparedRows: RunRow[] = $derived(
    this.compared
      .map((key) => this.allRows.find((r) => r.key === key))
      .filter((r): r is RunRow => r !== undefined),
  );
  /** Source models that have runs or measurements: sha256 → name. */
  sources: Array<{ sha256: string; name: string }> = $derived(
    [...new Map(this.allRows.map((r) => [r.sourceSha256, r.sourceName])).entries()].map(
      ([sha256, name]) => ({ sha256, name }),
    ),
  );
  /** Texts measurements were made on: sha256 → name. */
  texts: Array<{ sha256: string; name: string }> = $derived(
    [...new Map(this.evaluations.map((e) => [e.text.sha256, e.text.name])).entries()].map(
      ([sha256, name]) => ({ sha256, name }),
    ),
  );

  private stops: Array<() => void> = [];

  init(): void {
    if (this.stops.length > 0) {
      return;
    }
    this.stops.push(
      compressService.watchRuns((runs) => {
        this.runs = runs;
      }),
      evaluateService.watch((evaluations) => {
        this.evaluations = evaluations;
      }),
    );
    void this.refreshInfo(true);
  }

  async refreshInfo(chooseText = false): Promise<void> {
    try {
      this.info = await evaluateService.info();
      if (chooseText && this.info.defaultText !== null && this.text === "any") {
        this.text = this.info.defaultText.sha256;
      }
    } catch (error) {
      toasts.error(error);
    }
  }

  sortBy(key: SortKey): void {
    if (this.sortKey === key) {
      this.sortDirection = this.sortDirection === "asc" ? "desc" : "asc";
    } else {
      this.sortKey = key;
      this.sortDirection = key === "when" ? "desc" : "asc";
    }
  }

  setFilter(patch: Partial<RowFilter>): void {
    this.filter = { ...this.filter, ...patch };
  }

  setText(text: TextChoice): void {
    this.text = text;
  }

  setAxes(x: XAxis, y: YAxis): void {
    this.xAxis = x;
    this.yAxis = y;
  }

  select(key: string | null): void {
    this.selectedKey = key;
  }

  toggleCompare(key: string): void {
    this.compared = this.compared.includes(key)
      ? this.compared.filter((k) => k !== key)
      : [...this.compared, key].slice(-2);
  }

  clearCompare(): void {
    this.compared = [];
  }

  /** Quantizes and measures `levels` of a model, skipping what was done before. */
  async startSweep(
    model: { id: string; name: string },
    levels: string[],
    options: MeasureOptions,
  ): Promise<void> {
    if (this.sweep !== null || levels.length === 0) {
      return;
    }
    const controller = new AbortController();
    this.sweep = { modelName: model.name, levels, progress: null, controller };
    this.sweepError = null;
    this.sweepResult = null;
    try {
      const { items } = await evaluateService.sweep(
        { modelId: model.id, levels, ...options },
        (progress) => {
          if (this.sweep?.controller === controller) {
            this.sweep = { ...this.sweep, progress };
          }
        },
        controller.signal,
      );
      this.sweepResult = items;
      this.filter = { ...this.filter, source: items[0]?.run?.sourceSha256 ?? this.filter.source };
      if (options.textPath === undefined && this.info?.defaultText) {
        this.text = this.info.defaultText.sha256;
      }
    } catch (error) {
      if (isCancelled(error)) {
        toasts.info("Comparison stopped; the levels finished so far are kept.");
      } else {
        this.sweepError = errorData(error);
      }
    } finally {
      this.sweep = null;
      void this.refreshInfo();
    }
  }

  cancelSweep(): void {
    this.sweep?.controller.abort();
  }

  /** Measures one row's model against its source. */
  async measure(row: RunRow, options: Omit<MeasureOptions, "imatrix"> = {}): Promise<void> {
    const modelId = row.run?.outputModelId ?? null;
    if (this.measuring !== null || modelId === null) {
      return;
    }
    const controller = new AbortController();
    this.measuring = { rowKey: row.key, progress: null, controller };
    try {
      await evaluateService.measure(
        { modelId, ...options },
        (progress) => {
          if (this.measuring?.controller === controller) {
            this.measuring = { ...this.measuring, progress };
          }
        },
        controller.signal,
      );
      this.selectedKey = row.key;
    } catch (error) {
      toasts.error(error);
    } finally {
      this.measuring = null;
      void this.refreshInfo();
    }
  }

  cancelMeasure(): void {
    this.measuring?.controller.abort();
  }

  async clearCache(): Promise<void> {
    try {
      const { files } = await evaluateService.clearCache();
      toasts.info(`Removed ${files} cached base pass${files === 1 ? "" : "es"}.`);
    } catch (error) {
      toasts.error(error);
    }
    await this.refreshInfo();
  }

  async removeMeasurement(id: string): Promise<void> {
    try {
      await evaluateService.remove(id);
    } catch (error) {
      toasts.error(error);
    }
  }
}

export const runsStore = new RunsStore();
