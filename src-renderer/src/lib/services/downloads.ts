import type { DownloadCheck, DownloadRecord, HubListing } from "@contract";
import { client } from "../../api";

/** Downloads: look a source up, queue it, and steer the queue. Progress arrives as a signal. */
export const downloadsService = {
  /** Every download now and after each change (bytes, rate, state), from any window or the CLI. */
  watch(listener: (records: DownloadRecord[]) => void): () => void {
    return client().subscribe("downloads.changed", {}, listener);
  },
  search(source: string): Promise<HubListing> {
    return client().call("downloads.search", { source });
  },
  check(source: string, sha256: string | undefined): Promise<DownloadCheck> {
    return client().call("downloads.check", sha256 === undefined ? { source } : { source, sha256 });
  },
  add(source: string, sha256: string | undefined): Promise<DownloadRecord> {
    return client().call("downloads.add", sha256 === undefined ? { source } : { source, sha256 });
  },
  pause(id: string): Promise<DownloadRecord> {
    return client().call("downloads.pause", { id });
  },
  resume(id: string): Promise<DownloadRecord> {
    return client().call("downloads.resume", { id });
  },
  cancel(id: string): Promise<DownloadRecord> {
    return client().call("downloads.cancel", { id });
  },
  clear(id: string): Promise<{ removed: boolean }> {
    return client().call("downloads.clear", { id });
  },
};
