import { AppError, type ChecksumSource } from "../../contract/index.js";
import { splitSetNames } from "../gguf/splitGguf.js";
import { connectionError, displayUrl, statusError } from "./httpErrors.js";
import { fileMetadata, listRepoGgufs, resolveUrl, type HubHttp } from "./hubClient.js";
import { groupHubSets, pickHubSet } from "./hubSets.js";
import { formatHfSource, parseSource } from "./sources.js";

/** One file a download fetches. */
export interface PlannedFile {
  fileName: string;
  url: string;
  sizeBytes: number | null;
  sha256: string | null;
}

/** What a source resolves to: the files to fetch and what they are checked against. */
export interface DownloadPlan {
  /** The source in its canonical form (a repo source becomes the file picked). */
  source: string;
  title: string;
  files: PlannedFile[];
  checksum: ChecksumSource;
}

/**
 * Turns what the user typed into files to fetch, asking the hub (or the server) for sizes and
 * sha256s first, so a wrong name or a missing file fails now rather than after queueing.
 */
export async function resolvePlan(
  http: HubHttp,
  text: string,
  userSha256: string | undefined,
  signal?: AbortSignal,
): Promise<DownloadPlan> {
  const parsed = parseSource(text, http.hubUrl);
  let plan: DownloadPlan;
  if (parsed.kind === "url") {
    const files: PlannedFile[] = [];
    for (const fileName of splitSetNames(parsed.fileName)) {
      const url = fileName === parsed.fileName ? parsed.url : siblingUrl(parsed.url, fileName);
      files.push({ fileName, url, sizeBytes: await probeSize(http, url, signal), sha256: null });
    }
    plan = { source: parsed.url, title: files[0]!.fileName, files, checksum: "none" };
  } else if (parsed.kind === "hf-file") {
    const slash = parsed.path.lastIndexOf("/");
    const dir = slash < 0 ? "" : parsed.path.slice(0, slash + 1);
    const names = splitSetNames(parsed.path.slice(slash + 1));
    const files: PlannedFile[] = [];
    for (const name of names) {
      const meta = await fileMetadata(http, parsed.repo, parsed.revision, dir + name, signal);
      files.push({ fileName: name, url: meta.url, sizeBytes: meta.sizeBytes, sha256: meta.sha256 });
    }
    plan = {
      source: formatHfSource(parsed.repo, dir + names[0], parsed.revision),
      title: names[0]!,
      files,
      checksum: files.every((f) => f.sha256 !== null) ? "hub" : "none",
    };
  } else {
    const entries = await listRepoGgufs(http, parsed.repo, parsed.revision, signal);
    const set = pickHubSet(groupHubSets(entries), parsed.repo, parsed.quant);
    plan = {
      source: formatHfSource(parsed.repo, set.path, parsed.revision),
      title: set.fileName,
      files: set.parts.map((part) => ({
        fileName: part.path.slice(part.path.lastIndexOf("/") + 1),
        url: resolveUrl(http.hubUrl, parsed.repo, parsed.revision, part.path),
        sizeBytes: part.sizeBytes,
        sha256: part.sha256,
      })),
      checksum: set.parts.every((p) => p.sha256 !== null) ? "hub" : "none",
    };
  }
  return withUserChecksum(plan, userSha256);
}

function withUserChecksum(plan: DownloadPlan, userSha256: string | undefined): DownloadPlan {
  if (userSha256 === undefined) {
    return plan;
  }
  if (plan.files.length > 1) {
    throw new AppError(
      "invalid_params",
      `${plan.title} is split into ${plan.files.length} files, so one sha256 cannot check it.`,
      "Leave out --sha256: each part is checked against the hub's sha256 where it publishes one.",
    );
  }
  const file = plan.files[0]!;
  if (file.sha256 !== null && file.sha256 !== userSha256) {
    throw new AppError(
      "checksum_mismatch",
      `The sha256 you gave (${userSha256}) is not the one the hub publishes for ${file.fileName} (${file.sha256}).`,
      "Check which file the sha256 belongs to, or leave it out to use the hub's.",
    );
  }
  return { ...plan, files: [{ ...file, sha256: userSha256 }], checksum: "user" };
}

function siblingUrl(url: string, fileName: string): string {
  const parsed = new URL(url);
  const parts = parsed.pathname.split("/");
  parts[parts.length - 1] = encodeURIComponent(fileName);
  parsed.pathname = parts.join("/");
  return parsed.toString();
}

/**
 * The size of a plain URL's file, from a one-byte Range GET (a HEAD is refused by some signed
 * links). A missing file fails here; anything else just leaves the size unknown.
 */
async function probeSize(http: HubHttp, url: string, signal?: AbortSignal): Promise<number | null> {
  let response: Response | null = null;
  for (let attempt = 0; response === null; attempt++) {
    try {
      response = await http.fetch(url, {
        headers: { range: "bytes=0-0", "accept-encoding": "identity", ...http.headers(url) },
        redirect: "follow",
        signal:
          signal === undefined
            ? AbortSignal.timeout(30_000)
            : AbortSignal.any([signal, AbortSignal.timeout(30_000)]),
      });
    } catch (error) {
      if (signal?.aborted === true) {
        throw signal.reason;
      }
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const unreachable =
        ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN"].includes(cause?.code ?? "") ||
        cause?.message === "bad port";
      if (!unreachable) {
        // It answered but the answer broke off: the size is learnt when the download starts.
        return null;
      }
      if (attempt < 2) {
        await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
        continue;
      }
      throw new AppError(
        "network_error",
        `Could not reach ${displayUrl(url)}: ${connectionError(error).message}.`,
        "Check the address and the connection, then try again.",
      );
    }
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.status === 206) {
    const total = /\/(\d+)$/.exec(response.headers.get("content-range") ?? "")?.[1];
    return total === undefined ? null : Number(total);
  }
  if (response.status === 200) {
    const length = response.headers.get("content-length");
    return length !== null && /^\d+$/.test(length) ? Number(length) : null;
  }
  const error = statusError(response, url);
  if (error instanceof AppError) {
    throw error;
  }
  return null;
}
