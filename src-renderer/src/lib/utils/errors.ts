import { AppError, type AppErrorData } from "@contract";

/** Anything a call can reject with, as error data the UI can show (message + hint). */
export function errorData(error: unknown): AppErrorData {
  if (error instanceof AppError) {
    return error.toData();
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: "internal", message: message || "Something went wrong." };
}

export function isCancelled(error: unknown): boolean {
  return error instanceof AppError && error.code === "cancelled";
}
