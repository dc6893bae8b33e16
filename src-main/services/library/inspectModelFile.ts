import { stat } from "node:fs/promises";
import path from "node:path";
import { AppError, type ModelKind } from "../../contract/index.js";
import type { GgufFile } from "../gguf/ggufFile.js";
import { metaString } from "../gguf/ggufMetadata.js";
import { readGgufFile } from "../gguf/ggufReader.js";
import { summarizeModel, type ModelSummary } from "../gguf/modelSummary.js";
import { readSplitModel } from "../gguf/splitGguf.js";
import { validateModel } from "../gguf/validateModel.js";

export interface InspectedModel {
  file: GgufFile;
  summary: ModelSummary;
  kind: ModelKind;
}

/**
 * Reads and checks a model file before anything trusts it: a readable GGUF, and nothing in it
 * that would make llama.cpp abort. Throws `bad_model_file` with every blocking problem named.
 * A split model is read as a whole from its first part (`partPaths`: where the parts are, when
 * not under their final names, as during a download).
 */
export async function inspectModelFile(
  filePath: string,
  partPaths?: readonly string[],
): Promise<InspectedModel> {
  const info = await stat(filePath).catch(() => null);
  if (info === null) {
    throw new AppError(
      "not_found",
      `There is no file at ${filePath}.`,
      "Check the path and try again.",
    );
  }
  if (!info.isFile()) {
    throw new AppError("bad_model_file", `${filePath} is not a file.`, "Pick a .gguf model file.");
  }
  const file = await readSplitModel(filePath, await readGgufFile(filePath), partPaths);
  const validation = validateModel(file);
  if (!validation.ok) {
    const errors = validation.problems.filter((p) => p.severity === "error").map((p) => p.message);
    const shown = errors.slice(0, 3).join(" ");
    const more = errors.length > 3 ? ` (${errors.length - 3} more problems)` : "";
    throw new AppError(
      "bad_model_file",
      `${path.basename(filePath)} cannot be loaded: ${shown}${more}`,
      "The file is damaged or was made for another program; get a fresh copy of the model.",
    );
  }
  const summary = summarizeModel(file);
  return { file, summary, kind: modelKind(file, summary, path.basename(filePath)) };
}

/**
 * Base models continue text; instruct models follow a chat template. Our own files say which
 * (`lowbit.model_kind`); for others, names and the presence of a chat template tell.
 */
export function modelKind(file: GgufFile, summary: ModelSummary, fileName: string): ModelKind {
  const declared = metaString(file.metadata, "lowbit.model_kind");
  if (declared === "base" || declared === "instruct") {
    return declared;
  }
  const names = [summary.name, metaString(file.metadata, "general.finetune"), fileName].join(" ");
  if (/instruct|chat|\b-?it\b|sft|dpo|assistant/i.test(names)) {
    return "instruct";
  }
  const description = metaString(file.metadata, "general.description") ?? "";
  if (/\bbase\b/i.test(names) || /\bbase model\b/i.test(description) || !summary.hasChatTemplate) {
    return "base";
  }
  return "unknown";
}
