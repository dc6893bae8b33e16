import { AppError, type HubFile, type HubListing } from "../../contract/index.js";
import { summarizeModel } from "../gguf/modelSummary.js";
import { probeRemoteModel } from "./headerProbe.js";
import { listRepoGgufs, resolveUrl, type HubHttp } from "./hubClient.js";
import { groupHubSets, type HubSet } from "./hubSets.js";
import { formatHfSource, parseSource } from "./sources.js";

/**
 * A repo's GGUF models, smallest first, with sizes, quant names and bits per weight. One
 * model's header is read (its first few MB) for the parameter count, which turns every other
 * file's size into bits per weight: the files of one repo are quantizations of one model.
 */
export async function searchRepo(
  http: HubHttp,
  text: string,
  signal?: AbortSignal,
): Promise<HubListing> {
  const parsed = parseSource(text, http.hubUrl);
  if (parsed.kind === "url") {
    throw new AppError(
      "invalid_params",
      "Search lists a Hugging Face repo's files; a URL names one file.",
      "Give hf:owner/repo, or download the URL directly.",
    );
  }
  const { repo, revision } = parsed;
  const sets = groupHubSets(await listRepoGgufs(http, repo, revision, signal)).sort(
    (a, b) =>
      Number(a.projector) - Number(b.projector) ||
      (a.sizeBytes ?? Infinity) - (b.sizeBytes ?? Infinity) ||
      a.path.localeCompare(b.path),
  );
  const probed = sets.find((s) => !s.projector && s.sizeBytes !== null);
  let params: number | null = null;
  let arch: string | null = null;
  let probedBpw: number | null = null;
  let headerBytes = 0;
  if (probed !== undefined) {
    const probe = await probeRemoteModel(
      http,
      probed.parts.map((p) => ({
        url: resolveUrl(http.hubUrl, repo, revision, p.path),
        sizeBytes: p.sizeBytes,
      })),
      signal,
    );
    if (probe.ok) {
      const summary = summarizeModel(probe.file);
      params = summary.params > 0 ? summary.params : null;
      arch = summary.arch;
      probedBpw = params === null ? null : summary.bpw;
      headerBytes = probe.file.dataOffset;
    }
  }
  const bpwOf = (set: HubSet): number | null => {
    if (set.projector || params === null || set.sizeBytes === null) {
      return null;
    }
    if (set === probed) {
      return probedBpw;
    }
    return Math.max(0, set.sizeBytes - headerBytes * set.parts.length) * (8 / params);
  };
  const files: HubFile[] = sets.map((set) => ({
    source: formatHfSource(repo, set.path, revision),
    path: set.path,
    fileName: set.fileName,
    sizeBytes: set.sizeBytes,
    parts: set.parts.length,
    quant: set.quant,
    bpw: bpwOf(set),
    sha256: set.parts.length === 1 ? (set.parts[0]?.sha256 ?? null) : null,
  }));
  const page = `${http.hubUrl}/${repo}`;
  return {
    repo,
    revision,
    url: revision === "main" ? page : `${page}/tree/${encodeURIComponent(revision)}`,
    arch,
    params,
    files,
  };
}
