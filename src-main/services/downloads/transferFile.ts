import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat, truncate } from "node:fs/promises";
import { AppError } from "../../contract/index.js";
import { asDiskFullError } from "../library/diskSpace.js";
import { connectionError, statusError } from "./httpErrors.js";
import type { OpenWriter, PartWriter } from "./partWriter.js";
import { backoffDelay, RetryableError, sleep, type RetryPolicy } from "./retryPolicy.js";

/** The sha256 of the first `bytes` of a partial file, kept so a resume need not read them again. */
export interface HashState {
  bytes: number;
  hash: Hash;
}

export interface TransferRequest {
  url: string;
  partialPath: string;
  /** The file's size when known (from the hub, or an earlier response). */
  sizeBytes: number | null;
  /** The validator of an earlier response, sent as If-Range so a changed file is not appended to. */
  etag: string | null;
  /** The hash of the bytes already in the partial file, from an earlier run in this process. */
  resumeHash: HashState | null;
}

export interface TransferEvents {
  phase(
    phase: "connecting" | "downloading" | "retrying",
    detail: string | null,
    retryInMs: number | null,
  ): void;
  /** Bytes received so far (from the start of the file). */
  bytes(received: number): void;
  /** The size and validator the server announced. */
  response(sizeBytes: number | null, etag: string | null): void;
  /** Called when the transfer stops without finishing (pause, failure), for a later resume. */
  keep(state: HashState): void;
}

export interface TransferDeps {
  fetch: typeof fetch;
  openWriter: OpenWriter;
  policy: RetryPolicy;
  /** Extra request headers for a URL (an access token for the hub). */
  headers(url: string): Record<string, string>;
  random?: () => number;
}

export interface TransferResult {
  sha256: string;
  bytes: number;
  etag: string | null;
}

/** Writes are gathered into blocks this large (fewer system calls at high rates)… */
const writeBlockBytes = 1 << 20;
/** …or this old, so a crash loses little of a slow download. */
const writeBlockMs = 500;

class StartOver {
  constructor(readonly reason: string) {}
}

/**
 * Fetches one file into its partial file, resuming from the bytes already there: Range with
 * If-Range so a changed file starts over instead of being appended to; a server that ignores
 * Range starts over from zero; drops, stalls, timeouts and 5xx are retried with backoff. The
 * sha256 is computed from the bytes as they arrive, so the file is never read twice.
 */
export async function transferFile(
  request: TransferRequest,
  deps: TransferDeps,
  events: TransferEvents,
  signal: AbortSignal,
): Promise<TransferResult> {
  let received = await sizeOnDisk(request.partialPath);
  if (request.sizeBytes !== null && received > request.sizeBytes) {
    received = 0;
  }
  let hash =
    request.resumeHash !== null && request.resumeHash.bytes === received
      ? request.resumeHash.hash.copy()
      : await hashPrefix(request.partialPath, received, signal);
  let etag = request.etag;
  let total = request.sizeBytes;
  let highWater = received;
  let failures = 0;
  let restarts = 0;
  let complete = false;
  /** Why the download started over, shown until it resumes normally again. */
  let note: string | null = null;

  const restart = (): void => {
    received = 0;
    hash = createHash("sha256");
  };

  try {
    for (;;) {
      signal.throwIfAborted();
      events.phase("connecting", failures > 0 ? `try ${failures + 1}` : null, null);
      try {
        await attempt();
        complete = true;
        return { sha256: hash.digest("hex"), bytes: received, etag };
      } catch (error) {
        if (signal.aborted) {
          throw signal.reason;
        }
        if (error instanceof StartOver) {
          note = `${error.reason}, so the download started again from the beginning`;
          restarts += 1;
          if (restarts > deps.policy.maxFailures) {
            throw new AppError(
              "network_error",
              `The download kept starting over: ${error.reason}.`,
            );
          }
          restart();
          // Old bytes must not survive to be resumed from later.
          await truncate(request.partialPath, 0).catch(() => undefined);
          events.bytes(0);
          continue;
        }
        if (!(error instanceof RetryableError)) {
          throw error;
        }
        failures = received > highWater ? 1 : failures + 1;
        highWater = Math.max(highWater, received);
        if (failures > deps.policy.maxFailures) {
          throw new AppError(
            "network_error",
            `The download failed ${failures} times in a row without progress: ${error.message}.`,
            "Check the connection, then press Retry: the data received so far is kept.",
          );
        }
        const delay = backoffDelay(deps.policy, failures, error.retryAfterMs, deps.random);
        events.phase("retrying", error.message, delay);
        await sleep(delay, signal);
      }
    }
  } finally {
    if (!complete) {
      events.keep({ bytes: received, hash: hash.copy() });
    }
  }

  async function attempt(): Promise<void> {
    const attemptAbort = new AbortController();
    const onOuterAbort = (): void => attemptAbort.abort(signal.reason);
    signal.addEventListener("abort", onOuterAbort, { once: true });
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const armStallTimer = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        attemptAbort.abort(new RetryableError("stalled"));
      }, deps.policy.stallTimeoutMs);
    };
    const stallError = () =>
      new RetryableError(`no data for ${Math.round(deps.policy.stallTimeoutMs / 1000)} s`);
    armStallTimer();
    let writer: PartWriter | null = null;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let written = received;
    let lastFlush = Date.now();
    let finished = false;
    /** One block is written while the next arrives, so the disk and the network overlap. */
    let inFlight: Promise<void> | null = null;
    const settle = async (): Promise<void> => {
      const writing = inFlight;
      inFlight = null;
      try {
        await writing;
      } catch (error) {
        await forgetUnwritten();
        throw asDiskFullError(error, request.partialPath);
      }
    };
    const flush = async (): Promise<void> => {
      lastFlush = Date.now();
      await settle();
      if (writer === null || pendingBytes === 0) {
        return;
      }
      const block = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      inFlight = writer.write(block).then(() => {
        written += block.length;
      });
      // Awaited by the next flush; this only keeps Node from calling it unhandled meanwhile.
      inFlight.catch(() => undefined);
    };
    try {
      const headers: Record<string, string> = {
        "accept-encoding": "identity",
        ...deps.headers(request.url),
      };
      if (received > 0) {
        headers.range = `bytes=${received}-`;
        if (etag !== null) {
          headers["if-range"] = etag;
        }
      }
      let response: Response;
      try {
        response = await deps.fetch(request.url, {
          headers,
          redirect: "follow",
          signal: attemptAbort.signal,
        });
      } catch (error) {
        throw stalled ? stallError() : signal.aborted ? signal.reason : connectionError(error);
      }
      const start = await startOffset(response);
      if (start === "complete") {
        return;
      }
      if (start === 0 && received > 0) {
        // A 200 to a Range request: the server cannot resume, or the file changed (If-Range).
        note =
          etag !== null && strongValidator(response) !== etag
            ? "the file changed on the server, so the download started again from the beginning"
            : "the server cannot resume downloads, so this one started again from the beginning";
        restart();
        events.bytes(0);
      } else if (start > 0) {
        note = null;
      }
      const newEtag = strongValidator(response);
      if (received > 0 && etag !== null && newEtag !== null && newEtag !== etag) {
        await response.body?.cancel();
        throw new StartOver("the file changed on the server");
      }
      etag = newEtag ?? etag;
      total = responseTotal(response) ?? total;
      events.response(total, etag);
      writer = await deps.openWriter(request.partialPath, received).catch((error: unknown) => {
        throw asDiskFullError(error, request.partialPath);
      });
      written = received;
      events.phase("downloading", note, null);
      if (response.body === null) {
        throw new RetryableError("the server sent no data");
      }
      const reader = response.body.getReader();
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (error) {
          throw stalled ? stallError() : signal.aborted ? signal.reason : connectionError(error);
        }
        if (chunk.done) {
          break;
        }
        armStallTimer();
        const bytes = chunk.value;
        if (total !== null && received + bytes.length > total) {
          await reader.cancel().catch(() => undefined);
          throw new AppError(
            "network_error",
            `The server sent more data than the ${total} bytes it announced.`,
            "The server is misbehaving; try again later or use another source.",
          );
        }
        hash.update(bytes);
        received += bytes.length;
        pending.push(bytes);
        pendingBytes += bytes.length;
        if (pendingBytes >= writeBlockBytes || Date.now() - lastFlush >= writeBlockMs) {
          await flush();
        }
        events.bytes(received);
      }
      if (total !== null && received < total) {
        throw new RetryableError(`the connection closed after ${received} of ${total} bytes`);
      }
      finished = true;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onOuterAbort);
      attemptAbort.abort();
      await finishWriting();
    }

    /** Bytes received must reach the disk even when the connection broke mid-way. */
    async function finishWriting(): Promise<void> {
      if (writer === null) {
        return;
      }
      try {
        await flush();
        await settle();
        await writer.close(finished);
        writer = null;
      } catch (error) {
        await forgetUnwritten();
        throw asDiskFullError(error, request.partialPath);
      }
    }

    /** What did not reach the disk is not ours: the next try resumes from what did. */
    async function forgetUnwritten(): Promise<void> {
      if (received === written) {
        return;
      }
      received = written;
      pending = [];
      pendingBytes = 0;
      hash = await hashPrefix(request.partialPath, written, new AbortController().signal).catch(
        () => createHash("sha256"),
      );
    }
  }

  /** Where the response's body starts in the file, or "complete" when nothing is left. */
  async function startOffset(response: Response): Promise<number | "complete"> {
    if (response.status === 200) {
      return 0;
    }
    if (response.status === 206) {
      const range = parseContentRange(response.headers.get("content-range"));
      if (range === null || range.start !== received) {
        await response.body?.cancel();
        throw new StartOver("the server sent a different part of the file than asked for");
      }
      if (total !== null && range.total !== null && range.total !== total) {
        await response.body?.cancel();
        throw new StartOver("the file's size changed on the server");
      }
      return range.start;
    }
    if (response.status === 416) {
      await response.body?.cancel();
      const range = parseContentRange(response.headers.get("content-range"));
      const size = range?.total ?? total;
      if (size !== null && size === received) {
        return "complete";
      }
      throw new StartOver("the server could not resume from where the download stopped");
    }
    await response.body?.cancel();
    throw statusError(response, request.url);
  }
}

function parseContentRange(
  value: string | null,
): { start: number; end: number; total: number | null } | null {
  const match = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(value?.trim() ?? "");
  if (match === null) {
    return null;
  }
  const total = match[3] === "*" ? null : Number(match[3]);
  if (match[1] === undefined) {
    return { start: -1, end: -1, total };
  }
  return { start: Number(match[1]), end: Number(match[2]), total };
}

/** The whole file's size from a 200 (Content-Length) or a 206 (Content-Range). */
function responseTotal(response: Response): number | null {
  if (response.status === 206) {
    return parseContentRange(response.headers.get("content-range"))?.total ?? null;
  }
  const length = response.headers.get("content-length");
  return length === null || !/^\d+$/.test(length) ? null : Number(length);
}

/** An ETag good for If-Range (a strong one), else Last-Modified, else null. */
function strongValidator(response: Response): string | null {
  const etag = response.headers.get("etag");
  if (etag !== null && !etag.startsWith("W/")) {
    return etag;
  }
  return response.headers.get("last-modified");
}

async function sizeOnDisk(path: string): Promise<number> {
  const info = await stat(path).catch(() => null);
  return info?.isFile() === true ? info.size : 0;
}

/** Hashes the first `bytes` of a file: only needed when a download resumes after a restart. */
async function hashPrefix(path: string, bytes: number, signal: AbortSignal): Promise<Hash> {
  const hash = createHash("sha256");
  if (bytes === 0) {
    return hash;
  }
  const stream = createReadStream(path, { start: 0, end: bytes - 1, highWaterMark: 1 << 20 });
  for await (const chunk of stream) {
    signal.throwIfAborted();
    hash.update(chunk as Buffer);
  }
  return hash;
}
