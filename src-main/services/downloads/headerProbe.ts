import { AppError } from "../../contract/index.js";
import { defaultReadLimits, type GgufFile } from "../gguf/ggufFile.js";
import { GgufFormatError } from "../gguf/ggufFormatError.js";
import { NeedMoreBytes } from "../gguf/headerCursor.js";
import { parseGgufHeader } from "../gguf/parseGgufHeader.js";
import { connectionError, statusError } from "./httpErrors.js";

export interface ProbeHttp {
  fetch: typeof fetch;
  headers(url: string): Record<string, string>;
}

/** Most headers, vocabularies included, fit in the first read; big vocabularies take another. */
const firstRead = 4 * 2 ** 20;
/** Headers larger than this are not fetched ahead (the file is still checked once downloaded). */
const maxProbe = 64 * 2 ** 20;

export type HeaderProbe =
  | { ok: true; file: GgufFile; sizeBytes: number | null }
  /** The header shows the file cannot be used (not a GGUF, unknown tensor type, …). */
  | { ok: false; unusable: GgufFormatError }
  /** The header could not be fetched or is too large to fetch ahead: nothing is known. */
  | { ok: false; unknown: string };

/**
 * Reads a remote GGUF's header with Range requests of its first few MB, so a file this runtime
 * cannot load is caught before a long download. A server that ignores Range is read only as far
 * as needed, then the connection is closed.
 */
export async function probeGgufHeader(
  http: ProbeHttp,
  url: string,
  knownSize: number | null,
  signal?: AbortSignal,
): Promise<HeaderProbe> {
  let want = firstRead;
  for (;;) {
    let fetched: { prefix: Buffer; sizeBytes: number | null };
    try {
      fetched = await fetchPrefix(http, url, want, signal);
    } catch (error) {
      if (signal?.aborted === true) {
        throw signal.reason;
      }
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, unknown: `its header could not be read ahead (${message})` };
    }
    const sizeBytes = fetched.sizeBytes ?? knownSize;
    try {
      // Without a size, assume the file is as long as the limits allow: the layout is then
      // checked only once the whole file is here.
      const file = parseGgufHeader(
        fetched.prefix,
        sizeBytes ?? Number.MAX_SAFE_INTEGER,
        defaultReadLimits,
      );
      return { ok: true, file, sizeBytes };
    } catch (error) {
      if (error instanceof GgufFormatError) {
        return { ok: false, unusable: error };
      }
      if (!(error instanceof NeedMoreBytes)) {
        throw error;
      }
      if (error.upTo > maxProbe || fetched.prefix.length < want) {
        return { ok: false, unknown: "its header is too large to read ahead" };
      }
      want = Math.max(error.upTo, want * 2);
    }
  }
}

async function fetchPrefix(
  http: ProbeHttp,
  url: string,
  length: number,
  signal?: AbortSignal,
): Promise<{ prefix: Buffer; sizeBytes: number | null }> {
  const timeout = AbortSignal.timeout(60_000);
  let response: Response;
  try {
    response = await http.fetch(url, {
      headers: {
        range: `bytes=0-${length - 1}`,
        "accept-encoding": "identity",
        ...http.headers(url),
      },
      redirect: "follow",
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
    });
  } catch (error) {
    throw signal?.aborted === true ? signal.reason : connectionError(error);
  }
  if (response.status !== 200 && response.status !== 206) {
    await response.body?.cancel();
    const error = statusError(response, url);
    throw error instanceof AppError ? error : new Error(error.message);
  }
  let sizeBytes: number | null = null;
  const range = /\/(\d+)$/.exec(response.headers.get("content-range") ?? "");
  if (range?.[1] !== undefined) {
    sizeBytes = Number(range[1]);
  } else if (response.status === 200) {
    const length = response.headers.get("content-length");
    sizeBytes = length !== null && /^\d+$/.test(length) ? Number(length) : null;
  }
  const chunks: Uint8Array[] = [];
  let received = 0;
  if (response.body !== null) {
    const reader = response.body.getReader();
    try {
      while (received < length) {
        const { done, value } = await reader.read();
        if (done) {
          break;
        }
        chunks.push(value);
        received += value.length;
      }
    } catch (error) {
      throw connectionError(error);
    } finally {
      // A server that ignored Range is still sending the whole file: stop it.
      await reader.cancel().catch(() => undefined);
    }
  }
  return { prefix: Buffer.concat(chunks).subarray(0, length), sizeBytes };
}

/** Probes every part of a (possibly split) model and joins their tensors, as llama.cpp will. */
export async function probeRemoteModel(
  http: ProbeHttp,
  files: ReadonlyArray<{ url: string; sizeBytes: number | null }>,
  signal?: AbortSignal,
): Promise<HeaderProbe> {
  const parts: GgufFile[] = [];
  let total: number | null = 0;
  for (const file of files) {
    const probe = await probeGgufHeader(http, file.url, file.sizeBytes, signal);
    if (!probe.ok) {
      return probe;
    }
    total = total === null || probe.sizeBytes === null ? null : total + probe.sizeBytes;
    parts.push(probe.file);
  }
  const first = parts[0];
  if (first === undefined) {
    return { ok: false, unknown: "there is no file to read" };
  }
  const merged: GgufFile = { ...first, tensors: parts.flatMap((p) => p.tensors) };
  return { ok: true, file: { ...merged, fileSize: total ?? merged.fileSize }, sizeBytes: total };
}
