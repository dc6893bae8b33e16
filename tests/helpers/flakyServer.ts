import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Socket } from "node:net";

/**
 * A real HTTP server on 127.0.0.1 that misbehaves on request, for download tests: it serves
 * ranges and ETags, drops connections after N bytes, stalls, answers 5xx, ignores Range,
 * redirects, serves wrong bytes, and emulates the Hugging Face hub's file listing
 * (`/api/models/<repo>`, `/api/models/<repo>/tree/<rev>`) and `resolve/<rev>/<path>` redirects
 * with `X-Linked-Etag` / `X-Linked-Size`, in the shapes the hub sends.
 */
export interface Behaviour {
  /** Close the connection after sending this many body bytes of response number `n` (0-based). */
  dropAfter?: (n: number, bodyBytes: number) => number | null;
  /** Stop sending (keeping the connection open) after this many body bytes of response `n`. */
  stallAfter?: (n: number) => number | null;
  /** Answer the first `failTimes` requests with `failStatus` (default 503). */
  failTimes?: number;
  failStatus?: number;
  retryAfter?: string;
  /** Always send the whole file with 200, whatever Range says. */
  ignoreRange?: boolean;
  /** Serve these bytes instead of the file's (a server or proxy that damages data). */
  wrongBytes?: boolean;
  /** No ETag (and no Last-Modified) on responses. */
  noEtag?: boolean;
  /** Bytes per second, to make a download slow enough to pause or interrupt. */
  bytesPerSecond?: number;
}

export interface ServedFile extends Behaviour {
  bytes: Buffer;
}

export interface HubFile extends Behaviour {
  path: string;
  bytes: Buffer;
}

export interface RequestLog {
  method: string;
  path: string;
  range: string | null;
  ifRange: string | null;
  status: number;
  /** Body bytes actually written before the response ended or the connection was dropped. */
  bytesSent: number;
}

interface Entry extends ServedFile {
  etag: string;
  sha256: string;
  requests: number;
}

interface Repo {
  files: Map<string, Entry>;
  commit: string;
  pageSize: number;
}

export class FlakyServer {
  readonly log: RequestLog[] = [];
  private readonly files = new Map<string, Entry>();
  private readonly repos = new Map<string, Repo>();
  private readonly sockets = new Set<Socket>();
  private server!: Server;
  url = "";

  static async start(): Promise<FlakyServer> {
    const flaky = new FlakyServer();
    flaky.server = createServer((req, res) => flaky.handle(req, res));
    flaky.server.on("connection", (socket) => {
      flaky.sockets.add(socket);
      socket.on("close", () => flaky.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => flaky.server.listen(0, "127.0.0.1", resolve));
    flaky.url = `http://127.0.0.1:${(flaky.server.address() as AddressInfo).port}`;
    return flaky;
  }

  /** Serves `bytes` at `/files/<name>` (and through a redirect at `/redirect/<name>`). */
  addFile(name: string, file: ServedFile): string {
    this.files.set(name, entryFor(file));
    return `${this.url}/files/${encodeURIComponent(name)}`;
  }

  /** Changes how an already added file behaves from now on (its bytes and ETag stay). */
  setBehaviour(name: string, behaviour: Behaviour): void {
    const entry = this.files.get(name) ?? this.findHubEntry(name);
    if (entry === undefined) {
      throw new Error(`no file ${name}`);
    }
    Object.assign(entry, behaviour);
  }

  /** Replaces a file's bytes (and so its ETag), as a re-upload on the server would. */
  replaceFile(name: string, bytes: Buffer): void {
    const entry = this.files.get(name);
    if (entry === undefined) {
      throw new Error(`no file ${name}`);
    }
    Object.assign(entry, entryFor({ ...entry, bytes }), { requests: entry.requests });
  }

  /** A hub repo `owner/name` with these files; the tree listing pages `pageSize` entries. */
  addRepo(repo: string, files: HubFile[], options: { pageSize?: number } = {}): void {
    const map = new Map<string, Entry>();
    for (const file of files) {
      map.set(file.path, entryFor(file));
    }
    const commit = createHash("sha1").update(repo).digest("hex");
    this.repos.set(repo, { files: map, commit, pageSize: options.pageSize ?? 1000 });
  }

  /** Body bytes sent for a path prefix, e.g. "/files/a.gguf" or "/cdn/owner/repo/x.gguf". */
  bytesSent(pathPrefix: string): number {
    return this.log
      .filter((l) => l.path.startsWith(pathPrefix))
      .reduce((sum, l) => sum + l.bytesSent, 0);
  }

  requests(pathPrefix: string): RequestLog[] {
    return this.log.filter((l) => l.path.startsWith(pathPrefix));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) {
      socket.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private findHubEntry(path: string): Entry | undefined {
    for (const repo of this.repos.values()) {
      const entry = repo.files.get(path);
      if (entry !== undefined) {
        return entry;
      }
    }
    return undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", this.url);
    const path = decodeURIComponent(url.pathname);
    const log: RequestLog = {
      method: req.method ?? "GET",
      path,
      range: req.headers.range ?? null,
      ifRange: (req.headers["if-range"] as string | undefined) ?? null,
      status: 0,
      bytesSent: 0,
    };
    this.log.push(log);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      log.status = status;
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };

    if (path.startsWith("/files/")) {
      const entry = this.files.get(path.slice("/files/".length));
      if (entry === undefined) {
        return json(404, { error: "not found" });
      }
      return serveBytes(req, res, entry, log);
    }
    if (path.startsWith("/redirect/")) {
      log.status = 302;
      res.writeHead(302, { location: `/files/${encodeURIComponent(path.slice(10))}` });
      return void res.end();
    }
    const cdn = /^\/cdn\/([^/]+\/[^/]+)\/(.+)$/.exec(path);
    if (cdn !== null) {
      const entry = this.repos.get(cdn[1]!)?.files.get(cdn[2]!);
      return entry === undefined
        ? json(404, { error: "not found" })
        : serveBytes(req, res, entry, log);
    }
    const api = /^\/api\/models\/([^/]+\/[^/]+)(?:\/(tree|revision)\/([^/]+)(?:\/(.*))?)?$/.exec(
      path,
    );
    if (api !== null) {
      const repo = this.repos.get(api[1]!);
      if (repo === undefined) {
        // The hub answers 401, not 404, for a repo that does not exist (or is private).
        return json(401, { error: "Repository not found" }, { "x-error-code": "RepoNotFound" });
      }
      if (api[2] === "tree") {
        return this.tree(api[1]!, repo, url, json);
      }
      return json(200, repoInfo(api[1]!, repo));
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (resolve !== null) {
      const repo = this.repos.get(resolve[1]!);
      if (repo === undefined) {
        return json(401, { error: "Repository not found" }, { "x-error-code": "RepoNotFound" });
      }
      const entry = repo.files.get(resolve[3]!);
      if (entry === undefined) {
        return json(404, { error: "Entry not found" }, { "x-error-code": "EntryNotFound" });
      }
      log.status = 302;
      res.writeHead(302, {
        location: `/cdn/${resolve[1]}/${resolve[3]!.split("/").map(encodeURIComponent).join("/")}`,
        "x-linked-etag": `"${entry.sha256}"`,
        "x-linked-size": String(entry.bytes.length),
        "x-repo-commit": repo.commit,
        etag: `"${gitOid(entry.bytes)}"`,
      });
      return void res.end();
    }
    json(404, { error: "not found" });
  }

  private tree(
    name: string,
    repo: Repo,
    url: URL,
    json: (status: number, body: unknown, headers?: Record<string, string>) => void,
  ): void {
    const entries: unknown[] = [];
    const dirs = new Set<string>();
    for (const [path, entry] of repo.files) {
      const parts = path.split("/");
      for (let i = 1; i < parts.length; i++) {
        dirs.add(parts.slice(0, i).join("/"));
      }
      entries.push({
        type: "file",
        oid: gitOid(entry.bytes),
        size: entry.bytes.length,
        path,
        lfs: { oid: entry.sha256, size: entry.bytes.length, pointerSize: 135 },
      });
    }
    entries.push({
      type: "file",
      oid: gitOid(Buffer.from("# readme")),
      size: 8,
      path: "README.md",
    });
    for (const dir of dirs) {
      entries.push({ type: "directory", oid: gitOid(Buffer.from(dir)), size: 0, path: dir });
    }
    const start = Number(url.searchParams.get("cursor") ?? "0");
    const page = entries.slice(start, start + repo.pageSize);
    const headers: Record<string, string> = {};
    if (start + repo.pageSize < entries.length) {
      const next = new URL(`/api/models/${name}/tree/main`, this.url);
      next.searchParams.set("recursive", "true");
      next.searchParams.set("cursor", String(start + repo.pageSize));
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    json(200, page, headers);
  }
}

function entryFor(file: ServedFile): Entry {
  const sha256 = createHash("sha256").update(file.bytes).digest("hex");
  return { ...file, sha256, etag: `"${sha256.slice(0, 16)}"`, requests: 0 };
}

function gitOid(bytes: Buffer): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

function repoInfo(name: string, repo: Repo): unknown {
  return {
    _id: createHash("md5").update(name).digest("hex").slice(0, 24),
    id: name,
    modelId: name,
    author: name.split("/")[0],
    sha: repo.commit,
    lastModified: "2026-01-01T00:00:00.000Z",
    private: false,
    disabled: false,
    gated: false,
    downloads: 0,
    likes: 0,
    tags: ["gguf"],
    library_name: "gguf",
    siblings: [...repo.files.keys(), "README.md"].map((rfilename) => ({ rfilename })),
  };
}

function serveBytes(
  req: IncomingMessage,
  res: ServerResponse,
  entry: Entry,
  log: RequestLog,
): void {
  const n = entry.requests++;
  if (entry.failTimes !== undefined && n < entry.failTimes) {
    log.status = entry.failStatus ?? 503;
    res.writeHead(
      log.status,
      entry.retryAfter === undefined ? {} : { "retry-after": entry.retryAfter },
    );
    res.end("try later");
    return;
  }
  const bytes = entry.wrongBytes === true ? damaged(entry.bytes) : entry.bytes;
  const size = bytes.length;
  const headers: Record<string, string> = { "accept-ranges": "bytes" };
  if (entry.noEtag !== true) {
    headers.etag = entry.etag;
  }
  let start = 0;
  let end = size - 1;
  let status = 200;
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
  const ifRange = req.headers["if-range"] as string | undefined;
  const rangeHonoured =
    range !== null &&
    entry.ignoreRange !== true &&
    (ifRange === undefined || ifRange === entry.etag);
  if (rangeHonoured) {
    start = Number(range[1]);
    end = range[2] === "" ? size - 1 : Math.min(size - 1, Number(range[2]));
    if (start >= size) {
      log.status = 416;
      res.writeHead(416, { "content-range": `bytes */${size}`, ...headers });
      res.end();
      return;
    }
    status = 206;
    headers["content-range"] = `bytes ${start}-${end}/${size}`;
  }
  headers["content-length"] = String(end - start + 1);
  log.status = status;
  res.writeHead(status, headers);
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  const body = bytes.subarray(start, end + 1);
  const dropAt = entry.dropAfter?.(n, body.length) ?? null;
  const stallAt = entry.stallAfter?.(n) ?? null;
  void stream(res, body, log, dropAt, stallAt, entry.bytesPerSecond ?? null);
}

async function stream(
  res: ServerResponse,
  body: Buffer,
  log: RequestLog,
  dropAt: number | null,
  stallAt: number | null,
  bytesPerSecond: number | null,
): Promise<void> {
  const chunkSize =
    bytesPerSecond === null ? 64 * 1024 : Math.max(1024, Math.floor(bytesPerSecond / 20));
  let sent = 0;
  while (sent < body.length) {
    if (res.destroyed) {
      return;
    }
    let size = Math.min(chunkSize, body.length - sent);
    if (dropAt !== null && sent + size >= dropAt) {
      size = Math.max(0, dropAt - sent);
      if (size > 0) {
        await write(res, body.subarray(sent, sent + size));
        log.bytesSent += size;
      }
      // Let the bytes leave before the connection breaks, as a real mid-transfer drop.
      setTimeout(() => res.socket?.destroy(), 5);
      return;
    }
    if (stallAt !== null && sent + size >= stallAt) {
      size = Math.max(0, stallAt - sent);
      if (size > 0) {
        await write(res, body.subarray(sent, sent + size));
        log.bytesSent += size;
      }
      return; // Keeps the connection open and silent until the client gives up.
    }
    await write(res, body.subarray(sent, sent + size));
    sent += size;
    log.bytesSent += size;
    if (bytesPerSecond !== null) {
      await new Promise((resolve) => setTimeout(resolve, (size / bytesPerSecond) * 1000));
    }
  }
  res.end();
}

function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) {
      resolve();
      return;
    }
    if (res.write(chunk)) {
      resolve();
      return;
    }
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** The same length, one byte in the middle changed. */
function damaged(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  const middle = Math.floor(copy.length / 2);
  copy[middle] = (copy[middle] ?? 0) ^ 0xff;
  return copy;
}

/** Seeded: each response is dropped with `probability`, at a random point in its body. */
export function randomDrops(seed: number, probability: number): Behaviour["dropAfter"] {
  let state = seed >>> 0 || 1;
  const random = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  return (_n, bodyBytes) =>
    random() < probability ? Math.floor(random() * Math.max(1, bodyBytes - 1)) : null;
}
