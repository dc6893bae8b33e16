import { existsSync } from "node:fs";
import { AppError, type Model } from "../../contract/index.js";

/** A model whose file is gone cannot be planned or quantized: say so, rather than llama.cpp. */
export function requireFile(model: Model): Model {
  if (!existsSync(model.path)) {
    throw new AppError(
      "not_found",
      `The file of “${model.name}” is gone: ${model.path}.`,
      model.linked
        ? "Put the file back, or remove the model and import it again."
        : "Remove the model and import it again.",
    );
  }
  return model;
}
