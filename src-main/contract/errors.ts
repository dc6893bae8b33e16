import { z } from "zod";

/**
 * Errors cross every boundary (worker ↔ host ↔ renderer) as data, never as thrown objects.
 * `message` says what went wrong in words a user understands; `hint` says what to do about it.
 */
export const errorCodes = [
  "invalid_params",
  "invalid_message",
  "invalid_result",
  "unknown_endpoint",
  "not_found",
  "already_exists",
  "bad_model_file",
  "model_load_failed",
  "worker_crashed",
  "no_model_loaded",
  "insufficient_memory",
  "busy",
  "cancelled",
  "disk_full",
  "network_error",
  "checksum_mismatch",
  "io_error",
  "transport_closed",
  "unsupported",
  "internal",
] as const;

export const errorCodeSchema = z.enum(errorCodes);
export type ErrorCode = z.infer<typeof errorCodeSchema>;

export const appErrorDataSchema = z.object({
  code: errorCodeSchema,
  message: z.string(),
  hint: z.string().optional(),
});
export type AppErrorData = z.infer<typeof appErrorDataSchema>;

/** The one error class services throw and clients rehydrate. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, hint?: string) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.hint = hint;
  }

  toData(): AppErrorData {
    return this.hint === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, hint: this.hint };
  }

  static fromData(data: AppErrorData): AppError {
    return new AppError(data.code, data.message, data.hint);
  }
}

/** Turns anything thrown into error data; unknown errors become `internal` with their message. */
export function toErrorData(error: unknown): AppErrorData {
  if (error instanceof AppError) {
    return error.toData();
  }
  const parsed = appErrorDataSchema.safeParse(error);
  if (parsed.success) {
    return parsed.data;
  }
  if (error instanceof Error && error.name === "AbortError") {
    return { code: "cancelled", message: "Cancelled." };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: "internal", message: message || "Unexpected error." };
}

/** Reads zod issues as one line naming the endpoint and the first offending field. */
export function describeIssues(endpoint: string, what: string, error: z.ZodError): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    return `field "${field}": ${issue.message}`;
  });
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : "";
  return `${endpoint}: invalid ${what}: ${parts.join("; ")}${more}`;
}
