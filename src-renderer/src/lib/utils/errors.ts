import { AppError, type AppErrorData } from "@contract";

/**
 * Services word errors as fragments that the CLI joins ("this is a text file, not a GGUF model —
 * download the .gguf file itself"); the UI shows message and hint apart, so each becomes a
 * sentence: a leading plain word is capitalised (never a file name) and a final stop is added.
 */
export function sentence(text: string): string {
  const trimmed = text.trim();
  const capitalised = /^[a-z]+(\s|,|$)/.test(trimmed)
    ? trimmed.charAt(0).toUpperCase() + trimmed.slice(1)
    : trimmed;
  return /[\p{L}\p{N})”"'`]$/u.test(capitalised) ? `${capitalised}.` : capitalised;
}

/** Error data as the UI shows it: message and hint as sentences. */
export function readable(data: AppErrorData): AppErrorData {
  return data.hint === undefined
    ? { ...data, message: sentence(data.message) }
    : { ...data, message: sentence(data.message), hint: sentence(data.hint) };
}

/** Anything a call can reject with, as error data the UI can show (message + hint). */
export function errorData(error: unknown): AppErrorData {
  if (error instanceof AppError) {
    return readable(error.toData());
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: "internal", message: sentence(message || "Something went wrong") };
}

export function isCancelled(error: unknown): boolean {
  return error instanceof AppError && error.code === "cancelled";
}
