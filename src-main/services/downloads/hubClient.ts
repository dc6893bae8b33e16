import { AppError } from "../../contract/index.js";
import { connectionError, displayUrl, statusError } from "./httpErrors.js";
import { RetryableError } from "./retryPolicy.js";

/** A file in a hub repo, as the listing API reports it. */
export interface HubEntry {
  path: string;
  sizeBytes: number | null;
  /** The LFS object id, which is the file's sha256; null for files kept in git itself. */
  sha256: string | null;
}

/** A hub file's download address, size and sha256, from the resolve endpoint's headers. */
export interface HubFileMeta {
  url: string;
  sizeBytes: number | null;
  sha256: string | null;
}

export interface HubHttp {
  fetch: typeof fetch;
  /** The hub base, e.g. https://huggingface.co (no trailing slash). */
  hubUrl: string;
  /** Sent to the hub only (an access token), never to other hosts. */
  headers(url: string): Record<string, string>;
}

const sha256Pattern = /^[0-9a-f]{64}$/;

/** `owner/repo/resolve/<rev>/<path>`: where a hub file is downloaded from (it redirects to a CDN). */
export function resolveUrl(hubUrl: string, repo: string, revision: string, path: string): string {
  const encodedPath = path.split("/").map(encodeURIComponent).join("/");
  return `${hubUrl}/${repo}/resolve/${encodeURIComponent(revision)}/${encodedPath}`;
}

/**
 * The GGUF files of a repo at a revision: `/api/models/<repo>` says the repo exists and lists its
 * files (`siblings`); `/api/models/<repo>/tree/<rev>?recursive=true` adds sizes and LFS sha256s
 * (following `Link: …; rel="next"` pages). Files the tree missed are asked about one by one.
 */
export async function listRepoGgufs(
  http: HubHttp,
  repo: string,
  revision: string,
  signal?: AbortSignal,
): Promise<HubEntry[]> {
  const infoUrl =
    revision === "main"
      ? `${http.hubUrl}/api/models/${repo}`
      : `${http.hubUrl}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
  const info = (await getJson(http, infoUrl, repo, signal)) as {
    siblings?: Array<{ rfilename?: unknown }>;
  };
  const names = (info.siblings ?? [])
    .map((s) => s.rfilename)
    .filter((name): name is string => typeof name === "string" && /\.gguf$/i.test(name));
  const tree = new Map<string, HubEntry>();
  let next: string | null =
    `${http.hubUrl}/api/models/${repo}/tree/${encodeURIComponent(revision)}?recursive=true`;
  for (let page = 0; next !== null && page < 100; page++) {
    const response = await send(http, next, "GET", repo, signal);
    const entries = (await response.json().catch(() => null)) as unknown;
    if (!Array.isArray(entries)) {
      throw badAnswer(next);
    }
    for (const entry of entries as Array<Record<string, unknown>>) {
      const parsed = treeEntry(entry);
      if (parsed !== null) {
        tree.set(parsed.path, parsed);
      }
    }
    next = nextPage(response.headers.get("link"), next);
  }
  const paths = names.length > 0 ? names : [...tree.keys()].filter((p) => /\.gguf$/i.test(p));
  const result: HubEntry[] = [];
  for (const path of paths.sort()) {
    const known = tree.get(path);
    if (known !== undefined) {
      result.push(known);
      continue;
    }
    const meta = await fileMetadata(http, repo, revision, path, signal);
    result.push({ path, sizeBytes: meta.sizeBytes, sha256: meta.sha256 });
  }
  return result;
}

/**
 * A HEAD on the resolve URL without following its redirect, as huggingface_hub does: the hub
 * answers with the file's sha256 (X-Linked-Etag) and size (X-Linked-Size) for LFS files.
 */
export async function fileMetadata(
  http: HubHttp,
  repo: string,
  revision: string,
  path: string,
  signal?: AbortSignal,
): Promise<HubFileMeta> {
  const url = resolveUrl(http.hubUrl, repo, revision, path);
  const response = await send(http, url, "HEAD", repo, signal, "manual", path);
  const linkedEtag = unquote(response.headers.get("x-linked-etag"));
  const etag = unquote(response.headers.get("etag"));
  const sha256 = [linkedEtag, etag].find((e) => e !== null && sha256Pattern.test(e)) ?? null;
  const size =
    response.headers.get("x-linked-size") ??
    (response.status === 200 ? response.headers.get("content-length") : null);
  return { url, sizeBytes: size !== null && /^\d+$/.test(size) ? Number(size) : null, sha256 };
}

function treeEntry(entry: Record<string, unknown>): HubEntry | null {
  if (entry.type !== "file" || typeof entry.path !== "string") {
    return null;
  }
  const lfs = entry.lfs as { oid?: unknown; size?: unknown } | undefined;
  const oid = typeof lfs?.oid === "string" && sha256Pattern.test(lfs.oid) ? lfs.oid : null;
  const size =
    typeof lfs?.size === "number" ? lfs.size : typeof entry.size === "number" ? entry.size : null;
  return { path: entry.path, sizeBytes: size, sha256: oid };
}

/** The `rel="next"` target of a Link header, resolved against the page it came with. */
function nextPage(link: string | null, current: string): string | null {
  if (link === null) {
    return null;
  }
  for (const part of link.split(",")) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part);
    if (match?.[1] !== undefined) {
      return new URL(match[1], current).toString();
    }
  }
  return null;
}

async function getJson(
  http: HubHttp,
  url: string,
  repo: string,
  signal?: AbortSignal,
): Promise<unknown> {
  const response = await send(http, url, "GET", repo, signal);
  const body = (await response.json().catch(() => null)) as unknown;
  if (body === null || typeof body !== "object") {
    throw badAnswer(url);
  }
  return body;
}

/** One hub request, retried twice on a dropped connection or a 5xx; other failures are named. */
async function send(
  http: HubHttp,
  url: string,
  method: "GET" | "HEAD",
  repo: string,
  signal: AbortSignal | undefined,
  redirect: "follow" | "manual" = "follow",
  path?: string,
): Promise<Response> {
  let lastError: RetryableError | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (lastError !== null) {
      await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
    }
    let response: Response;
    try {
      response = await http.fetch(url, {
        method,
        redirect,
        headers: { accept: "application/json", ...http.headers(url) },
        signal:
          signal === undefined
            ? AbortSignal.timeout(30_000)
            : AbortSignal.any([signal, AbortSignal.timeout(30_000)]),
      });
    } catch (error) {
      if (signal?.aborted === true) {
        throw signal.reason;
      }
      lastError = connectionError(error);
      continue;
    }
    if (response.ok || (redirect === "manual" && response.status >= 300 && response.status < 400)) {
      return response;
    }
    await response.body?.cancel();
    if (response.status === 401 || response.status === 404) {
      // The hub answers 401 for repos that do not exist as well as for private ones.
      throw new AppError(
        "not_found",
        path === undefined
          ? `There is no model repo “${repo}” on ${displayUrl(http.hubUrl)} (or it is private).`
          : `“${repo}” has no file ${path} (HTTP ${response.status}).`,
        path === undefined
          ? "Check the owner and repo name; they are case-sensitive."
          : `List the repo's GGUF files: lowbit models search hf:${repo}`,
      );
    }
    const error = statusError(response, url);
    if (error instanceof AppError) {
      throw error;
    }
    lastError = error;
  }
  throw new AppError(
    "network_error",
    `Could not reach the model hub at ${displayUrl(http.hubUrl)}: ${lastError?.message ?? "unknown error"}.`,
    "Check the connection (or LOWBIT_HUB_URL / the downloads.hubUrl setting) and try again.",
  );
}

function badAnswer(url: string): AppError {
  return new AppError(
    "network_error",
    `The hub sent something other than a file listing for ${displayUrl(url)}.`,
    "Check LOWBIT_HUB_URL / the downloads.hubUrl setting: it must point at a Hugging Face hub.",
  );
}

function unquote(value: string | null): string | null {
  if (value === null) {
    return null;
  }
  return value.replace(/^W\//, "").replace(/^"|"$/g, "").toLowerCase();
}
