import type {
  EvaluateInfo,
  EvaluateProgress,
  Evaluation,
  ImatrixChoice,
  SweepItem,
  SweepProgress,
} from "@contract";
import { client } from "../../api";

export interface MeasureOptions {
  imatrix?: ImatrixChoice;
  textPath?: string;
  contextSize?: number;
  chunks?: number;
}

/** Measuring what compression costs: single measurements, level sweeps, the history. */
export const evaluateService = {
  /** Every recent measurement now and after each change, whichever window or CLI made it. */
  watch(listener: (evaluations: Evaluation[]) => void): () => void {
    return client().subscribe("evaluate.changed", {}, listener);
  },
  info(): Promise<EvaluateInfo> {
    return client().call("evaluate.info", {});
  },
  measure(
    params: { modelId: string; baseModelId?: string; force?: boolean } & Omit<
      MeasureOptions,
      "imatrix"
    >,
    onProgress: (packet: EvaluateProgress) => void,
    signal: AbortSignal,
  ): Promise<Evaluation> {
    return client().job("evaluate.run", params, { onProgress, signal });
  },
  sweep(
    params: { modelId: string; levels: string[] } & MeasureOptions,
    onProgress: (packet: SweepProgress) => void,
    signal: AbortSignal,
  ): Promise<{ items: SweepItem[] }> {
    return client().job("evaluate.sweep", params, { onProgress, signal });
  },
  remove(id: string): Promise<{ removed: boolean }> {
    return client().call("evaluate.remove", { id });
  },
  clearCache(): Promise<{ files: number; bytes: number }> {
    return client().call("evaluate.clearCache", {});
  },
};
