import { AppError } from "../../contract/index.js";

/** What a download source names, before anything is fetched. */
export type ParsedSource =
  | { kind: "url"; url: string; fileName: string }
  | { kind: "hf-file"; repo: string; path: string; revision: string }
  | { kind: "hf-repo"; repo: string; revision: string; quant: string | null };

const namePart = /^[A-Za-z0-9][\w.-]*$/;
const sourceHint =
  "Use an http(s) URL of a .gguf file, hf:owner/repo to list a Hugging Face repo's files, " +
  "or hf:owner/repo/file.gguf for one file.";

/**
 * Reads a source the user typed. `hubUrl` is the hub base (LOWBIT_HUB_URL or the setting): links
 * into it (…/blob/…, …/resolve/…, a repo page) become hf: sources, so the hub's checksums apply.
 */
export function parseSource(text: string, hubUrl: string): ParsedSource {
  const source = text.trim();
  if (/^hf:/i.test(source)) {
    return parseHf(source.replace(/^hf:(\/\/)?/i, ""), source);
  }
  if (/^https?:\/\//i.test(source)) {
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      throw new AppError("invalid_params", `“${source}” is not a valid URL.`, sourceHint);
    }
    return fromHubLink(url, hubUrl) ?? plainUrl(url);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    throw new AppError(
      "invalid_params",
      `Cannot download from “${source}”: only http and https addresses are supported.`,
      sourceHint,
    );
  }
  if (/\.gguf$/i.test(source) || source.startsWith(".") || source.startsWith("/")) {
    throw new AppError(
      "invalid_params",
      `“${source}” looks like a file on this computer, not something to download.`,
      `Import it instead: lowbit models import ${source}`,
    );
  }
  if (/^[\w.-]+\/[\w.-]+(@[\w./-]+)?(:[\w-]+)?$/.test(source)) {
    return parseHf(source, source);
  }
  throw new AppError("invalid_params", `“${source}” is not a URL or an hf: source.`, sourceHint);
}

/** The text form of a parsed hub source, as listings hand it back. */
export function formatHfSource(repo: string, path: string | null, revision: string): string {
  const rev = revision === "main" ? "" : `@${revision}`;
  return path === null ? `hf:${repo}${rev}` : `hf:${repo}/${path}${rev}`;
}

function parseHf(rest: string, original: string): ParsedSource {
  let body = rest;
  let quant: string | null = null;
  const quantMatch = /:([\w-]+)$/.exec(body);
  if (quantMatch !== null) {
    quant = (quantMatch[1] ?? "").toUpperCase();
    body = body.slice(0, quantMatch.index);
  }
  let revision = "main";
  const at = body.lastIndexOf("@");
  if (at >= 0) {
    revision = body.slice(at + 1);
    body = body.slice(0, at);
    if (!/^[\w.-]+(\/[\w.-]+)*$/.test(revision)) {
      throw new AppError("invalid_params", `“${original}” has an empty or invalid revision.`);
    }
  }
  const segments = body.split("/").filter((s) => s !== "");
  const [owner, name, ...pathParts] = segments;
  if (owner === undefined || name === undefined || !namePart.test(owner) || !namePart.test(name)) {
    throw new AppError(
      "invalid_params",
      `“${original}” does not name a Hugging Face repo.`,
      "Write it as hf:owner/repo, e.g. hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF.",
    );
  }
  const repo = `${owner}/${name}`;
  if (pathParts.length === 0) {
    return { kind: "hf-repo", repo, revision, quant };
  }
  if (quant !== null) {
    throw new AppError(
      "invalid_params",
      `“${original}” names a file and a quantization; give one or the other.`,
    );
  }
  const path = pathParts.join("/");
  if (!/\.gguf$/i.test(path) || pathParts.some((p) => p === ".." || p === ".")) {
    throw new AppError(
      "invalid_params",
      `“${path}” is not a .gguf file; Lowbit downloads GGUF models only.`,
      `List the repo's GGUF files: lowbit models search hf:${repo}`,
    );
  }
  return { kind: "hf-file", repo, path, revision };
}

/** https://<hub>/owner/repo[/blob|resolve/<rev>/path] → an hf: source; other URLs → null. */
function fromHubLink(url: URL, hubUrl: string): ParsedSource | null {
  const hub = new URL(hubUrl);
  const hubPath = hub.pathname.replace(/\/$/, "");
  if (url.origin !== hub.origin || !url.pathname.startsWith(`${hubPath}/`)) {
    return null;
  }
  const parts = url.pathname
    .slice(hubPath.length + 1)
    .split("/")
    .map((p) => decodeURIComponent(p));
  const [owner, name, kind, revision, ...path] = parts;
  if (owner === undefined || name === undefined || owner === "api" || /\.gguf$/i.test(name)) {
    return null;
  }
  if (kind === undefined || (kind === "tree" && path.length === 0)) {
    return parseHf(
      `${owner}/${name}${revision === undefined ? "" : `@${revision}`}`,
      url.toString(),
    );
  }
  if ((kind === "blob" || kind === "resolve") && revision !== undefined && path.length > 0) {
    return parseHf(`${owner}/${name}/${path.join("/")}@${revision}`, url.toString());
  }
  return null;
}

function plainUrl(url: URL): ParsedSource {
  const last = decodeURIComponent(url.pathname.split("/").pop() ?? "");
  const safe = last.replace(/[^\w.+-]/g, "_").replace(/^\.+/, "");
  const fileName = safe === "" ? "model.gguf" : /\.gguf$/i.test(safe) ? safe : `${safe}.gguf`;
  return { kind: "url", url: url.toString(), fileName };
}
