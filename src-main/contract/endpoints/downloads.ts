import { z } from "zod";
import { fitSchema } from "./compress.js";
import { appErrorDataSchema } from "../errors.js";
import { job, noParams, rpc, signal } from "../endpoint.js";
import { modelSchema } from "./models.js";

/**
 * What the user typed: an https://…/file.gguf URL, a Hugging Face file
 * `hf:owner/repo/path/file.gguf[@revision]`, or a repo `hf:owner/repo[@revision][:QUANT]`.
 */
const sourceText = z.string().trim().min(1, "give a URL or hf:owner/repo").max(2000);

/** A sha256 the user expects, checked before the file is used. */
export const sha256Schema = z
  .string()
  .trim()
  .regex(/^[0-9a-fA-F]{64}$/, "a sha256 is 64 hexadecimal characters")
  .transform((hex) => hex.toLowerCase());

/**
 * Where a download stands. queued → connecting → downloading (→ retrying → connecting …) →
 * verifying → done; paused, failed and cancelled come from the user or from an error.
 */
export const downloadStateSchema = z.enum([
  "queued",
  "connecting",
  "downloading",
  "retrying",
  "verifying",
  "paused",
  "done",
  "failed",
  "cancelled",
]);
export type DownloadState = z.infer<typeof downloadStateSchema>;

/** Where a sha256 to check against came from; "none": only the GGUF checks apply. */
export const checksumSourceSchema = z.enum(["hub", "user", "none"]);
export type ChecksumSource = z.infer<typeof checksumSourceSchema>;

export const downloadFileSchema = z.object({
  fileName: z.string(),
  url: z.string(),
  sizeBytes: z.number().nullable(),
  receivedBytes: z.number(),
  sha256: z.string().nullable(),
  complete: z.boolean(),
});
export type DownloadFile = z.infer<typeof downloadFileSchema>;

export const downloadRecordSchema = z.object({
  id: z.string(),
  source: z.string(),
  /** The file name people see (the first part's, for a split model). */
  title: z.string(),
  /** The name the model gets in the library, when the user chose one. */
  name: z.string().nullable(),
  state: downloadStateSchema,
  /** One line for people: "connection dropped; retrying in 4 s", "the server cannot resume…". */
  detail: z.string().nullable(),
  receivedBytes: z.number(),
  totalBytes: z.number().nullable(),
  fraction: z.number().min(0).max(1).nullable(),
  bytesPerSecond: z.number().nullable(),
  etaSeconds: z.number().nullable(),
  retryInSeconds: z.number().nullable(),
  checksum: checksumSourceSchema,
  files: z.array(downloadFileSchema),
  modelId: z.string().nullable(),
  error: appErrorDataSchema.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type DownloadRecord = z.infer<typeof downloadRecordSchema>;

/** One GGUF of a Hugging Face repo; split models are one entry with several parts. */
export const hubFileSchema = z.object({
  /** Pass this to downloads.add / `lowbit models pull`. */
  source: z.string(),
  path: z.string(),
  fileName: z.string(),
  sizeBytes: z.number().nullable(),
  parts: z.number().int().min(1),
  /** From the file name ("Q4_K_M"), null when the name does not say. */
  quant: z.string().nullable(),
  /** Estimated from the size and the model's parameter count, when that could be read. */
  bpw: z.number().nullable(),
  sha256: z.string().nullable(),
});
export type HubFile = z.infer<typeof hubFileSchema>;

export const hubListingSchema = z.object({
  repo: z.string(),
  revision: z.string(),
  /** The repo's page on the hub. */
  url: z.string(),
  /** Read from one file's header; every GGUF of a repo is usually the same model. */
  arch: z.string().nullable(),
  params: z.number().nullable(),
  files: z.array(hubFileSchema),
});
export type HubListing = z.infer<typeof hubListingSchema>;

export const memoryFitSchema = z.object({
  contextSize: z.number(),
  /** The KV cache type the estimate assumes. */
  kvType: z.string(),
  weightsBytes: z.number(),
  kvBytes: z.number(),
  computeBytes: z.number(),
  totalBytes: z.number(),
  /** Memory free now, and the machine's total. */
  availableBytes: z.number(),
  machineBytes: z.number(),
  /** fits: in free memory; tight: only after closing other programs; no: not on this machine. */
  verdict: fitSchema,
});
export type MemoryFit = z.infer<typeof memoryFitSchema>;

export const downloadProblemSchema = z.object({
  severity: z.enum(["error", "warning"]),
  message: z.string(),
});

/** What a user sees before downloading, read from the listing and the file's header. */
export const downloadCheckSchema = z.object({
  source: z.string(),
  title: z.string(),
  files: z.array(
    z.object({
      fileName: z.string(),
      url: z.string(),
      sizeBytes: z.number().nullable(),
      sha256: z.string().nullable(),
    }),
  ),
  totalBytes: z.number().nullable(),
  quant: z.string().nullable(),
  fileType: z.string().nullable(),
  bpw: z.number().nullable(),
  arch: z.string().nullable(),
  params: z.number().nullable(),
  contextLength: z.number().nullable(),
  memory: memoryFitSchema.nullable(),
  freeDiskBytes: z.number(),
  checksum: checksumSourceSchema,
  /** False when the header shows this runtime cannot load the file (errors in `problems`). */
  canLoad: z.boolean(),
  problems: z.array(downloadProblemSchema),
});
export type DownloadCheck = z.infer<typeof downloadCheckSchema>;

export const downloadRequestSchema = z.object({
  source: sourceText,
  sha256: sha256Schema.optional(),
  name: z.string().trim().min(1).max(200).optional(),
});

export const downloadProgressSchema = z.object({
  id: z.string(),
  phase: downloadStateSchema,
  fraction: z.number().min(0).max(1).nullable(),
  bytes: z.number(),
  totalBytes: z.number().nullable(),
  bytesPerSecond: z.number().nullable(),
  etaSeconds: z.number().nullable(),
  retryInSeconds: z.number().nullable(),
  detail: z.string().nullable(),
});
export type DownloadProgress = z.infer<typeof downloadProgressSchema>;

/** The model record, plus proof that the file was checked before it was registered. */
export const pulledModelSchema = modelSchema.extend({
  verified: z.literal(true),
  checksum: checksumSourceSchema,
});
export type PulledModel = z.infer<typeof pulledModelSchema>;

const downloadId = z.object({ id: z.string().min(1) });

export const downloadsEndpoints = {
  /** The GGUF files of a Hugging Face repo, with sizes, quant names and bits per weight. */
  "downloads.search": rpc(z.object({ source: sourceText }), hubListingSchema),
  /** Size, quant, bpw, memory fit and loadability of one file, before downloading it. */
  "downloads.check": rpc(
    z.object({ source: sourceText, sha256: sha256Schema.optional() }),
    downloadCheckSchema,
  ),
  /** Queues a download (or resumes the unfinished one of the same source) and returns at once. */
  "downloads.add": rpc(downloadRequestSchema, downloadRecordSchema),
  /** Queues a download and follows it to the verified model; cancelling cancels the download. */
  "downloads.pull": job(downloadRequestSchema, downloadProgressSchema, pulledModelSchema),
  "downloads.list": rpc(noParams, z.array(downloadRecordSchema)),
  "downloads.changed": signal(noParams, z.array(downloadRecordSchema)),
  "downloads.pause": rpc(downloadId, downloadRecordSchema),
  /** Resumes a paused download, or retries a failed one from the data it kept. */
  "downloads.resume": rpc(downloadId, downloadRecordSchema),
  /** Stops a download and deletes its partial data. */
  "downloads.cancel": rpc(downloadId, downloadRecordSchema),
  /** Removes a finished, failed or cancelled download from the list. */
  "downloads.clear": rpc(downloadId, z.object({ removed: z.boolean() })),
};
