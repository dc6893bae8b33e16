import type { HubListing } from "../../contract/index.js";
import type { Lowbit } from "../../services/lowbit.js";
import { parseCommand, requirePositional } from "../args.js";
import { formatGiB, formatParams, table, type Output } from "../output.js";

/** `lowbit models search hf:owner/repo`: the repo's GGUF models, smallest first. */
export async function searchCommand(app: Lowbit, args: string[], out: Output): Promise<void> {
  const { positionals } = parseCommand("models search", args, {});
  const source = requirePositional("models search", positionals, 0, "a repo, as hf:owner/repo");
  const listing = await app.downloads.search(source);
  out.result(listing, () => describeListing(listing));
}

function describeListing(listing: HubListing): string {
  const about = [
    listing.arch,
    listing.params === null ? null : `${formatParams(listing.params)} parameters`,
  ].filter((part) => part !== null);
  const head = `${listing.repo}${listing.revision === "main" ? "" : `@${listing.revision}`}${
    about.length > 0 ? ` (${about.join(", ")})` : ""
  }: ${listing.files.length} GGUF file${listing.files.length === 1 ? "" : "s"} — ${listing.url}`;
  if (listing.files.length === 0) {
    return `${head}\nThere are no GGUF files here; look for a repo whose name ends in -GGUF.`;
  }
  const rows = listing.files.map((f) => [
    f.parts > 1 ? `${f.path} (+${f.parts - 1} parts)` : f.path,
    f.quant ?? "?",
    f.sizeBytes === null ? "?" : formatGiB(f.sizeBytes),
    f.bpw === null ? "" : `~${f.bpw.toFixed(2)}`,
  ]);
  const example =
    listing.files.find((f) => f.quant !== null && f.bpw !== null) ?? listing.files[0]!;
  return [
    head,
    table([["FILE", "QUANT", "SIZE", "BITS/WEIGHT"], ...rows]),
    `Download one: lowbit models pull ${example.source}`,
  ].join("\n");
}
