import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export const TOKEN_COOKIE = "lowbit_token";

export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

/** The token a request carries: `?token=`, `Authorization: Bearer`, or our cookie. */
export function requestToken(request: IncomingMessage, url: URL): string | null {
  const query = url.searchParams.get("token");
  if (query !== null) {
    return query;
  }
  const header = request.headers.authorization;
  if (header?.startsWith("Bearer ")) {
    return header.slice("Bearer ".length).trim();
  }
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === TOKEN_COOKIE) {
      return decodeURIComponent(value.join("="));
    }
  }
  return null;
}

export function tokenMatches(given: string | null, expected: string): boolean {
  if (given === null) {
    return false;
  }
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
