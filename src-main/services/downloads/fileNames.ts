import { existsSync } from "node:fs";
import path from "node:path";
import { parseSplitName, splitPartName } from "../gguf/splitGguf.js";

/**
 * Names in `folder` for a download's files that no model, partial file or other download uses.
 * A split set keeps its `-0000i-of-0000N` endings (llama.cpp finds the parts by them) and gets
 * one shared prefix; a clash adds "-1", "-2", … before them.
 */
export function freeFileNames(
  folder: string,
  fileNames: readonly string[],
  taken: ReadonlySet<string>,
): string[] {
  const first = fileNames[0] ?? "model.gguf";
  const split = parseSplitName(first);
  const stem = split !== null ? split.prefix : path.basename(first, path.extname(first)) || "model";
  const namesFor = (suffix: string): string[] =>
    split !== null
      ? fileNames.map((_, i) => splitPartName(`${stem}${suffix}`, i + 1, split.count))
      : [`${stem}${suffix}${path.extname(first) || ".gguf"}`];
  for (let i = 0; ; i++) {
    const names = namesFor(i === 0 ? "" : `-${i}`);
    const clash = names.some((name) => {
      const file = path.join(folder, name);
      return existsSync(file) || existsSync(`${file}.partial`) || taken.has(`${file}.partial`);
    });
    if (!clash) {
      return names;
    }
  }
}
