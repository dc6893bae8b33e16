import { defaultReadLimits, type GgufFile } from "../gguf/ggufFile.js";
import { GgufFormatError } from "../gguf/ggufFormatError.js";
import { NeedMoreBytes } from "../gguf/headerCursor.js";
import { parseGgufHeader } from "../gguf/parseGgufHeader.js";
import { connectionError, statusError } from "./httpErrors.js";

export interface ProbeHttp {
  fetch: typeof fetch;
  headers(url: string): Record<string, string>;
}

/** Headers larger than this are not fetched ahead (the file is still checked once downloaded). */
const maxProbe = 64 * 2 ** 20;
/** The first parse is tried once this much has arrived; most small headers fit. */
const firstTry = 256 * 2 ** 10;

export type HeaderProbe =
  | { ok: true; file: GgufFile; sizeBytes: number | null }
  /** The header shows the file cannot be used (not a GGUF, unknown tensor type, …). */
  | { ok: false; unusable: GgufFormatError }
  /** The header could not be fetched or is too large to fetch ahead: nothing is known. */
  | { ok: false; unknown: string };

/**
 * Reads a remote GGUF's header with Range requests of only the bytes the header takes (256 KiB
 * first; the parser then says how many more it needs), so a file this runtime cannot load is
 * caught before a long download. A server that ignores Range is read from the start as far as
 * the header goes, then the connection is closed.
 */
export async function probeGgufHeader(
  http: ProbeHttp,
  url: string,
  knownSize: number | null,
  signal?: AbortSignal,
): Promise<HeaderProbe> {
  let prefix: Buffer = Buffer.alloc(0);
  let want = firstTry;
  let sizeBytes = knownSize;
  try {
    for (;;) {
      const part = await fetchRange(http, url, prefix.length, want, signal);
      sizeBytes = part.sizeBytes ?? sizeBytes;
      prefix = part.fromStart ? part.bytes : Buffer.concat([prefix, part.bytes]);
      const atEnd = part.bytes.length === 0 || (sizeBytes !== null && prefix.length >= sizeBytes);
      try {
        // Without a size, assume the file is as long as the limits allow: the layout is then
        // checked only once the whole file is here.
        const file = parseGgufHeader(
          prefix,
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
        if (atEnd || error.upTo > maxProbe) {
          return { ok: false, unknown: "its header is too large to read ahead" };
        }
        want = Math.min(maxProbe, Math.max(error.upTo, prefix.length * 2));
      }
    }
  } catch (error) {
    if (signal?.aborted === true) {
      throw signal.reason;
    }
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, unknown: `its header could not be read ahead (${reason})` };
  }
}

/** Bytes [from, to) of the file; `fromStart` when the server sent the file from byte 0 instead. */
async function fetchRange(
  http: ProbeHttp,
  url: string,
  from: number,
  to: number,
  signal?: AbortSignal,
): Promise<{ bytes: Buffer; fromStart: boolean; sizeBytes: number | null }> {
  const timeout = AbortSignal.timeout(60_000);
  let response: Response;
  try {
    response = await http.fetch(url, {
      headers: {
        range: `bytes=${from}-${to - 1}`,
        "accept-encoding": "identity",
        ...http.headers(url),
      },
      redirect: "follow",
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
    });
  } catch (error) {
    throw signal?.aborted === true ? signal.reason : connectionError(error);
  }
  if (response.status === 416) {
    await response.body?.cancel();
    return { bytes: Buffer.alloc(0), fromStart: false, sizeBytes: null };
  }
  if (response.status !== 200 && response.status !== 206) {
    await response.body?.cancel();
    throw statusError(response, url);
  }
  const fromStart = response.status === 200;
  const limit = fromStart ? to : to - from;
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body?.getReader();
  try {
    while (reader !== undefined && received < limit) {
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
    await reader?.cancel().catch(() => undefined);
  }
  const bytes = Buffer.concat(chunks, received).subarray(0, limit);
  return { bytes, fromStart, sizeBytes: responseSize(response) };
}

function responseSize(response: Response): number | null {
  const range = /\/(\d+)$/.exec(response.headers.get("content-range") ?? "");
  if (range?.[1] !== undefined) {
    return Number(range[1]);
  }
  if (response.status !== 200) {
    return null;
  }
  const length = response.headers.get("content-length");
  return length !== null && /^\d+$/.test(length) ? Number(length) : null;
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
