import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { appContract } from "../contract/index.js";
import { serveContract } from "../rpc/server.js";
import { webSocketTransport, type WebSocketLike } from "../rpc/transports/webSocket.js";
import { createAppHandlers } from "../services/appHandlers.js";
import type { Lowbit } from "../services/lowbit.js";
import { newToken, requestToken, TOKEN_COOKIE, tokenMatches } from "./auth.js";
import { openAiRoutes, sendUnauthorized } from "./openaiRoutes.js";
import { serveStatic } from "./staticFiles.js";

export interface HostOptions {
  app: Lowbit;
  /** The built renderer (index.html and assets). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Defaults to a new random token per start. */
  token?: string;
  log?: (line: string) => void;
}

export interface Host {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/**
 * `lowbit serve`: the renderer, the app contract over WebSocket and the OpenAI-compatible API
 * (`/v1`, openaiRoutes.ts), on 127.0.0.1 only. Every request needs the per-start token; the page
 * gets it from the URL once and then from an HttpOnly cookie, so a reload keeps working and other
 * sites cannot read it.
 */
export async function startHost(options: HostOptions): Promise<Host> {
  const token = options.token ?? newToken();
  const log = options.log ?? (() => undefined);
  const handlers = createAppHandlers(options.app);
  const v1 = openAiRoutes(options.app);
  let origin = "";

  const securityHeaders = (): Record<string, string> => ({
    "content-security-policy": [
      "default-src 'self'",
      `connect-src 'self' ws://127.0.0.1:${port}`,
      "img-src 'self' data:",
      "style-src 'self' 'unsafe-inline'",
      "script-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
  });

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", origin);
    // The OpenAI-compatible API: the host token is its bearer token; errors are OpenAI's JSON.
    if (url.pathname === "/v1" || url.pathname.startsWith("/v1/")) {
      if (tokenMatches(requestToken(request, url), token)) {
        void v1(request, response, url);
      } else {
        sendUnauthorized(response);
      }
      return;
    }
    if (!tokenMatches(requestToken(request, url), token)) {
      response.writeHead(401, {
        "content-type": "text/plain; charset=utf-8",
        ...securityHeaders(),
      });
      response.end(
        "Unauthorized: open the address `lowbit serve` printed (it carries the access token).\n",
      );
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const headers = securityHeaders();
    if (url.searchParams.has("token")) {
      headers["set-cookie"] =
        `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
    }
    serveStatic(options.rendererDir, url.pathname, response, headers).catch((error: unknown) => {
      log(`static: ${(error as Error).message}`);
      if (!response.headersSent) {
        response.writeHead(500).end();
      }
    });
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: 16 * 2 ** 20 });
  server.on("upgrade", (request, socket, head) => {
    const url = new URL(request.url ?? "/", origin);
    // A page from another site must not drive the app with the user's cookie.
    const requestOrigin = request.headers.origin;
    const sameOrigin = requestOrigin === undefined || requestOrigin === origin;
    if (url.pathname !== "/ws" || !sameOrigin || !tokenMatches(requestToken(request, url), token)) {
      socket.end("HTTP/1.1 401 Unauthorized\r\nconnection: close\r\n\r\n");
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      const connection = serveContract(
        appContract,
        handlers,
        webSocketTransport(ws as unknown as WebSocketLike),
        {
          onWarning: (warning) => log(`contract: ${warning.code}: ${warning.message}`),
        },
      );
      ws.on("close", () => connection.close());
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    port,
    token,
    close: async () => {
      for (const client of sockets.clients) {
        client.terminate();
      }
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
