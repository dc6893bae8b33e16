import type {
  ExportResult,
  LevelsResult,
  Model,
  QuantizeMethod,
  QuantizeProgress,
  Run,
} from "@contract";
import { client } from "../../api";

export interface QuantizeParams {
  modelId: string;
  level: string;
  imatrix: "auto" | "on" | "off";
  imatrixTextPath?: string;
  allowRequantize: boolean;
  method?: QuantizeMethod;
  calibrationTextPath?: string;
}

/** Compression: the levels of a model, quantization jobs, runs, exports. */
export const compressService = {
  levels(modelId: string): Promise<LevelsResult> {
    return client().call("compress.levels", { modelId });
  },
  quantize(
    params: QuantizeParams,
    onProgress: (packet: QuantizeProgress) => void,
    signal: AbortSignal,
  ): Promise<{ run: Run; model: Model; reused: boolean }> {
    return client().job("compress.quantize", params, { onProgress, signal });
  },
  /** Every recent run now and after each change, whichever window or CLI started it. */
  watchRuns(listener: (runs: Run[]) => void): () => void {
    return client().subscribe("runs.changed", {}, listener);
  },
  cancelRun(id: string): Promise<{ cancelled: boolean }> {
    return client().call("runs.cancel", { id });
  },
  suggestExportPath(modelId: string): Promise<{ path: string }> {
    return client().call("compress.suggestExportPath", { modelId });
  },
  export(
    params: { modelId: string; path: string; overwrite: boolean },
    onProgress: (packet: { phase: "writing" | "hashing"; fraction: number }) => void,
    signal: AbortSignal,
  ): Promise<ExportResult> {
    return client().job("compress.export", params, { onProgress, signal });
  },
};
