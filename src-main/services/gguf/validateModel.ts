import type { GgufFile } from "./ggufFile.js";
import { metaString } from "./ggufMetadata.js";
import { extensionGgmlTypeIds } from "./ggmlTypes.js";
import { knownArchitectures } from "./knownArchitectures.js";
import { ProblemList, type ModelValidation } from "./modelProblems.js";
import { validateHyperparameters } from "./validateHyperparameters.js";
import { validateLlamaTensors } from "./validateLlamaTensors.js";
import { validateTokenizer } from "./validateTokenizer.js";

/** Architectures whose keys and tensors are checked in full. */
const fullyChecked = new Set(["llama"]);

/**
 * Checks a parsed GGUF for what would make llama.cpp abort (a GGML_ASSERT kills the whole
 * process) or refuse the file: missing or mistyped keys, impossible sizes, missing or misshapen
 * tensors, unknown tokenizers. Run it before handing a file to the model process.
 */
export function validateModel(file: GgufFile): ModelValidation {
  const problems = new ProblemList();
  const meta = file.metadata;

  for (const [key, value] of meta) {
    if (value.type === "array" && value.itemType === "array") {
      problems.error(
        "nested_array",
        `${key} is a list of lists, which llama.cpp cannot read; it refuses the whole file.`,
        key,
      );
    }
  }

  const vocab = validateTokenizer(meta, problems);
  const archKey = "general.architecture";
  const arch = metaString(meta, archKey);
  if (arch === undefined) {
    problems.error(
      meta.has(archKey) ? "wrong_key_type" : "missing_key",
      `The model file does not say which architecture it is (${archKey} must be a string).`,
      archKey,
    );
    return problems.result();
  }
  if (arch === "clip") {
    problems.error(
      "not_a_language_model",
      "This is a vision projector (mmproj) file, which goes with a language model; it cannot " +
        "be chatted with on its own.",
      archKey,
    );
    return problems.result();
  }
  if (!knownArchitectures.has(arch)) {
    problems.error(
      "unknown_architecture",
      `This version of llama.cpp does not support the '${arch}' architecture.`,
      archKey,
    );
    return problems.result();
  }
  flagExtendedTypes(file, problems);
  const strict = fullyChecked.has(arch);
  const shape = validateHyperparameters(meta, arch, strict, problems);
  if (strict && shape !== undefined) {
    validateLlamaTensors(file.tensors, shape, vocab, problems);
  }
  return problems.result();
}

/**
 * Lowbit's own tensor types load only in the Lowbit extended runtime (llama.cpp built by the
 * set-up with native/patches): a warning, since whether it is loaded is the runtime's call.
 */
function flagExtendedTypes(file: GgufFile, problems: ProblemList): void {
  const ours = file.tensors.filter((t) => extensionGgmlTypeIds.has(t.type.id));
  if (ours.length > 0) {
    const names = [...new Set(ours.map((t) => t.type.name))].join(", ");
    problems.warn(
      "needs_extended_runtime",
      `${ours.length} tensors are stored as ${names}, Lowbit's own type: the model needs the ` +
        "Lowbit extended runtime, and stock llama.cpp refuses it.",
      ours[0]!.name,
    );
  }
}
