import { AppError } from "../../contract/index.js";
import { parseSplitName, splitPartName } from "../gguf/splitGguf.js";
import type { HubEntry } from "./hubClient.js";
import { quantFromFileName } from "./quantName.js";

/** One downloadable model in a repo listing: a plain GGUF, or every part of a split one. */
export interface HubSet {
  /** The first part's path in the repo. */
  path: string;
  fileName: string;
  parts: HubEntry[];
  sizeBytes: number | null;
  quant: string | null;
  /** A vision projector (mmproj) goes with a language model; it is not one. */
  projector: boolean;
}

/** Groups a repo's GGUFs into models: split parts together, incomplete sets left out. */
export function groupHubSets(entries: readonly HubEntry[]): HubSet[] {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const sets: HubSet[] = [];
  for (const entry of entries) {
    const slash = entry.path.lastIndexOf("/");
    const dir = slash < 0 ? "" : entry.path.slice(0, slash + 1);
    const fileName = entry.path.slice(slash + 1);
    const split = parseSplitName(fileName);
    let parts: HubEntry[];
    if (split === null) {
      parts = [entry];
    } else {
      if (split.index !== 1) {
        continue;
      }
      const found = Array.from({ length: split.count }, (_, i) =>
        byPath.get(dir + splitPartName(split.prefix, i + 1, split.count)),
      );
      if (found.some((p) => p === undefined)) {
        continue;
      }
      parts = found as HubEntry[];
    }
    const sizes = parts.map((p) => p.sizeBytes);
    sets.push({
      path: entry.path,
      fileName,
      parts,
      sizeBytes: sizes.every((s) => s !== null) ? sizes.reduce((a, b) => a + b, 0) : null,
      quant: quantFromFileName(fileName),
      projector: /(^|[-_.])mmproj([-_.]|$)/i.test(fileName),
    });
  }
  return sets;
}

/**
 * The set a repo source means: the only model in the repo, or the one with the quant asked
 * for (`hf:owner/repo:Q4_K_M`). Anything ambiguous is an error that lists the choices.
 */
export function pickHubSet(sets: readonly HubSet[], repo: string, quant: string | null): HubSet {
  const models = sets.filter((s) => !s.projector);
  const matching =
    quant === null ? models : models.filter((s) => s.quant?.toUpperCase() === quant.toUpperCase());
  if (matching.length === 1 && matching[0] !== undefined) {
    return matching[0];
  }
  if (models.length === 0) {
    throw new AppError(
      "not_found",
      `hf:${repo} has no GGUF model files.`,
      "Look for a repo whose name ends in -GGUF, or convert the model with llama.cpp.",
    );
  }
  const quants = [...new Set(models.map((s) => s.quant).filter((q) => q !== null))];
  const choices = models
    .slice(0, 12)
    .map((s) => s.fileName)
    .join(", ");
  const more = models.length > 12 ? ` and ${models.length - 12} more` : "";
  if (quant !== null && matching.length === 0) {
    throw new AppError(
      "not_found",
      `hf:${repo} has no ${quant} file.`,
      quants.length > 0
        ? `It has: ${quants.join(", ")}. Pick one, e.g. hf:${repo}:${quants[0]}`
        : `Its files: ${choices}${more}.`,
    );
  }
  throw new AppError(
    "invalid_params",
    `hf:${repo} has ${matching.length} GGUF models; pick one.`,
    `Its files: ${choices}${more}. Name one (hf:${repo}/<file>.gguf)` +
      (quants.length > 0 ? ` or a quant (hf:${repo}:${quants[0]}).` : "."),
  );
}
