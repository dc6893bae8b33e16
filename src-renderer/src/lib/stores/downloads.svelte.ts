import type { AppErrorData, DownloadCheck, DownloadRecord, HubListing } from "@contract";
import { downloadsService } from "../services/downloads";
import { errorData } from "../utils/errors";
import { toasts } from "./toasts.svelte";

/** A repo source (`hf:owner/repo`, `owner/repo`, a repo page) lists files; anything else is one file. */
function looksLikeRepo(source: string): boolean {
  const text = source.trim();
  if (/\.gguf(\?|@|$)/i.test(text)) {
    return false;
  }
  if (/^hf:/i.test(text)) {
    return /^hf:(\/\/)?[^/\s]+\/[^/\s:@]+(@[^\s:]+)?$/i.test(text);
  }
  return /^[\w.-]+\/[\w.-]+$/.test(text) || /^https?:\/\/[^/]+\/[^/]+\/[^/]+\/?$/i.test(text);
}

const order: Record<DownloadRecord["state"], number> = {
  retrying: 0,
  downloading: 0,
  connecting: 0,
  verifying: 0,
  queued: 1,
  paused: 2,
  failed: 3,
  done: 4,
  cancelled: 5,
};

/**
 * Downloads in the Library view: the look-up form (a repo's files to pick from, or one file's
 * check: size, quant, bits per weight, memory fit, loadability) and the queue, which follows the
 * server's `downloads.changed` signal so progress, rate and ETA move live.
 */
class DownloadsStore {
  records = $state.raw<DownloadRecord[]>([]);
  source = $state("");
  sha256 = $state("");
  /** What the look-up is doing now, for the button's label. */
  busy = $state<"looking" | "checking" | "adding" | null>(null);
  listing = $state.raw<HubListing | null>(null);
  check = $state.raw<DownloadCheck | null>(null);
  error = $state.raw<AppErrorData | null>(null);

  /** Running first, then queued, paused, failed; finished ones last, newest first. */
  sorted: DownloadRecord[] = $derived(
    [...this.records].sort(
      (a, b) =>
        order[a.state] - order[b.state] || Date.parse(b.createdAt) - Date.parse(a.createdAt),
    ),
  );

  private stop: (() => void) | null = null;

  init(): void {
    this.stop ??= downloadsService.watch((records) => {
      this.records = records;
    });
  }

  setSource(text: string): void {
    this.source = text;
    this.error = null;
    this.listing = null;
    this.check = null;
  }

  setSha256(text: string): void {
    this.sha256 = text;
    this.error = null;
  }

  /** Lists a repo's files, or checks one file before downloading it. */
  async lookUp(): Promise<void> {
    const source = this.source.trim();
    if (source === "" || this.busy !== null) {
      return;
    }
    this.error = null;
    this.listing = null;
    this.check = null;
    if (looksLikeRepo(source) && this.sha256.trim() === "") {
      this.busy = "looking";
      try {
        const listing = await downloadsService.search(source);
        this.listing = listing;
        if (listing.files.length === 1 && listing.files[0] !== undefined) {
          await this.pick(listing.files[0].source);
        }
      } catch (error) {
        this.error = errorData(error);
      } finally {
        this.busy = null;
      }
      return;
    }
    await this.pick(source);
  }

  /** Checks one file (a pick from the listing, or the source typed). */
  async pick(source: string): Promise<void> {
    this.busy = "checking";
    this.error = null;
    try {
      this.check = await downloadsService.check(source, this.shaOrUndefined());
    } catch (error) {
      this.error = errorData(error);
    } finally {
      this.busy = null;
    }
  }

  /** Queues the checked file; the form clears for the next one. */
  async start(): Promise<boolean> {
    const check = this.check;
    if (check === null || this.busy !== null) {
      return false;
    }
    this.busy = "adding";
    try {
      await downloadsService.add(check.source, this.shaOrUndefined());
      this.source = "";
      this.sha256 = "";
      this.listing = null;
      this.check = null;
      return true;
    } catch (error) {
      this.error = errorData(error);
      return false;
    } finally {
      this.busy = null;
    }
  }

  backToListing(): void {
    this.check = null;
    this.error = null;
  }

  pause(id: string): Promise<void> {
    return this.act(() => downloadsService.pause(id));
  }

  resume(id: string): Promise<void> {
    return this.act(() => downloadsService.resume(id));
  }

  cancel(id: string): Promise<void> {
    return this.act(() => downloadsService.cancel(id));
  }

  clear(id: string): Promise<void> {
    return this.act(() => downloadsService.clear(id));
  }

  private shaOrUndefined(): string | undefined {
    const sha = this.sha256.trim();
    return sha === "" ? undefined : sha;
  }

  private async act(action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      toasts.error(error);
    }
  }
}

export const downloads = new DownloadsStore();
