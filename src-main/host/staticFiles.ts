import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import path from "node:path";

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".json": "application/json",
  ".map": "application/json",
};

/**
 * Serves a file from the built renderer. Paths are resolved inside `root` only; anything that
 * is not a file there falls back to index.html, so the single-page app handles its own routes.
 */
export async function serveStatic(
  root: string,
  urlPath: string,
  response: ServerResponse,
  headers: Record<string, string>,
): Promise<void> {
  const relative = decodeURIComponent(urlPath).replace(/^\/+/, "");
  let file = path.resolve(root, relative);
  if (!file.startsWith(path.resolve(root) + path.sep) && file !== path.resolve(root)) {
    response.writeHead(403).end();
    return;
  }
  let info = await stat(file).catch(() => null);
  if (info === null || !info.isFile()) {
    file = path.join(root, "index.html");
    info = await stat(file).catch(() => null);
  }
  if (info === null) {
    response.writeHead(503, { "content-type": "text/plain; charset=utf-8" });
    response.end("The Lowbit interface is not built. Run `npm run build` and start again.\n");
    return;
  }
  const ext = path.extname(file);
  response.writeHead(200, {
    ...headers,
    "content-type": contentTypes[ext] ?? "application/octet-stream",
    "content-length": String(info.size),
    // Hashed asset names can be cached; the page itself must not be.
    "cache-control": ext === ".html" ? "no-store" : "public, max-age=31536000, immutable",
  });
  createReadStream(file).pipe(response);
}
