import type { DownloadCheck, MemoryFit } from "../../contract/index.js";
import { formatBytes } from "../gguf/formatBytes.js";
import { summarizeModel } from "../gguf/modelSummary.js";
import { validateModel } from "../gguf/validateModel.js";
import { probeRemoteModel, type ProbeHttp } from "./headerProbe.js";
import type { MachineMemory } from "./memoryFit.js";
import { estimateMemoryFit } from "./memoryFit.js";
import { quantFromFileName } from "./quantName.js";
import type { DownloadPlan } from "./resolvePlan.js";

export interface PreflightContext {
  http: ProbeHttp;
  contextSize: number;
  /** The user's KV cache types (the runtime.kv setting), which size the cache. */
  kvTypes: { k: string; v: string };
  memory: MachineMemory;
  freeDiskBytes: number;
  /** Space kept free on top of the download. */
  diskMarginBytes: number;
}

/**
 * What to show before a download: size, quant, bits per weight, whether it fits in memory with
 * the user's context size, and whether this runtime can load it at all, read from the file's
 * header (a few MB fetched with Range requests) rather than learnt after the whole download.
 */
export async function preflight(
  plan: DownloadPlan,
  ctx: PreflightContext,
  signal?: AbortSignal,
): Promise<DownloadCheck> {
  const sizes = plan.files.map((f) => f.sizeBytes);
  let totalBytes = sizes.every((s) => s !== null) ? sizes.reduce((a, b) => a + b, 0) : null;
  const problems: DownloadCheck["problems"] = [];
  let fileType: string | null = null;
  let bpw: number | null = null;
  let arch: string | null = null;
  let params: number | null = null;
  let contextLength: number | null = null;
  let memory: MemoryFit | null = null;
  let canLoad = true;

  const probe = await probeRemoteModel(ctx.http, plan.files, signal);
  if (probe.ok) {
    totalBytes ??= probe.sizeBytes;
    const summary = summarizeModel(probe.file);
    fileType = summary.fileType;
    bpw = summary.params > 0 ? summary.bpw : null;
    arch = summary.arch;
    params = summary.params;
    contextLength = summary.contextLength;
    for (const problem of validateModel(probe.file).problems) {
      problems.push({ severity: problem.severity, message: problem.message });
      canLoad &&= problem.severity !== "error";
    }
    memory = estimateMemoryFit(probe.file, summary, ctx.contextSize, ctx.memory, ctx.kvTypes);
    if (memory?.verdict === "no") {
      problems.push({
        severity: "warning",
        message:
          `With a ${memory.contextSize}-token context it needs about ` +
          `${formatBytes(memory.totalBytes)} of memory; this machine has ` +
          `${formatBytes(memory.machineBytes)}.`,
      });
    } else if (memory?.verdict === "tight") {
      problems.push({
        severity: "warning",
        message:
          `It needs about ${formatBytes(memory.totalBytes)} of memory and ` +
          `${formatBytes(memory.availableBytes)} is free now: close other programs before loading it.`,
      });
    }
  } else if ("unusable" in probe) {
    canLoad = false;
    const { problem, hint } = probe.unusable;
    problems.push({
      severity: "error",
      message: `This runtime cannot load it: ${problem}${hint === undefined ? "." : ` (${hint}).`}`,
    });
  } else {
    problems.push({
      severity: "warning",
      message: `Could not check the file before downloading: ${probe.unknown}. It is checked once downloaded.`,
    });
  }
  if (totalBytes !== null && ctx.freeDiskBytes < totalBytes + ctx.diskMarginBytes) {
    problems.push({
      severity: "error",
      message:
        `Not enough disk space: it needs ${formatBytes(totalBytes)} and ` +
        `${formatBytes(ctx.freeDiskBytes)} is free.`,
    });
  }
  return {
    source: plan.source,
    title: plan.title,
    files: plan.files,
    totalBytes,
    quant: quantFromFileName(plan.title) ?? fileType,
    fileType,
    bpw,
    arch,
    params,
    contextLength,
    memory,
    freeDiskBytes: ctx.freeDiskBytes,
    checksum: plan.checksum,
    canLoad,
    problems,
  };
}
