import { AppError } from "../../contract/index.js";
import { parseRetryAfter, RetryableError } from "./retryPolicy.js";

/** What to do with an HTTP status that is not the data we asked for. */
export function statusError(response: Response, url: string): AppError | RetryableError {
  const status = response.status;
  const where = displayUrl(url);
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
    const what = status === 429 ? "is rate-limiting downloads" : `answered HTTP ${status}`;
    return new RetryableError(`the server ${what}`, retryAfter);
  }
  if (status === 404 || status === 410) {
    return new AppError(
      "not_found",
      `Nothing to download at ${where} (HTTP ${status}).`,
      "Check the address. For Hugging Face, list a repo's files with hf:owner/repo.",
    );
  }
  if (status === 401 || status === 403) {
    return new AppError(
      "network_error",
      `The server refused access to ${where} (HTTP ${status}).`,
      "If this is a gated Hugging Face repo, accept its terms on the hub and set HF_TOKEN " +
        "to an access token before starting Lowbit.",
    );
  }
  return new AppError(
    "network_error",
    `The server answered HTTP ${status} for ${where}.`,
    "Check the address, or try again later.",
  );
}

/** fetch's errors (refused, reset, DNS, TLS) as something a user can read; all are retryable. */
export function connectionError(error: unknown): RetryableError {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const code = cause?.code ?? (error as NodeJS.ErrnoException | undefined)?.code;
  const reasons: Record<string, string> = {
    ECONNREFUSED: "the server refused the connection",
    ECONNRESET: "the connection was reset",
    ENOTFOUND: "the server's name could not be found (offline?)",
    EAI_AGAIN: "the server's name could not be looked up (offline?)",
    ETIMEDOUT: "the connection timed out",
    EPIPE: "the connection broke",
    UND_ERR_SOCKET: "the connection dropped",
    UND_ERR_CONNECT_TIMEOUT: "connecting timed out",
    UND_ERR_HEADERS_TIMEOUT: "the server did not answer in time",
    UND_ERR_BODY_TIMEOUT: "the server stopped sending data",
  };
  const reason =
    (code !== undefined ? reasons[code] : undefined) ??
    (/terminated|other side closed/i.test(`${(error as Error)?.message} ${cause?.message}`)
      ? "the connection dropped"
      : `the connection failed (${cause?.message ?? (error as Error)?.message ?? String(error)})`);
  return new RetryableError(reason);
}

/** A URL without its query string (signed CDN links are long and carry tokens). */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url;
  }
}
