/**
 * What a calibrated file records about its importance matrix: the keys llama-quantize writes
 * (tools/quantize/quantize.cpp), with the file name Lowbit keeps the matrix under. The names
 * are fixed before calibrating so that a dry run can predict the file's size to the byte.
 */
export interface ImatrixIdentity {
  modelSha256: string;
  textSha256: string;
  dataset: string;
  chunkSize: number;
  maxChunks: number;
}

/** Fixed-width numbers: the name's length, and so the file's size, does not depend on them. */
export function imatrixFileName(id: ImatrixIdentity): string {
  const size = String(id.chunkSize).padStart(5, "0");
  const chunks = String(id.maxChunks).padStart(6, "0");
  return `${id.modelSha256.slice(0, 16)}-${id.textSha256.slice(0, 16)}-${size}x${chunks}.gguf`;
}

/** The metadata entries; counts are u32 whatever their value, so they do not change the size. */
export function imatrixMetadata(
  id: ImatrixIdentity,
  counts: { entries: number; chunks: number } = { entries: 0, chunks: 0 },
): Array<{ key: string; value: string | number }> {
  return [
    { key: "quantize.imatrix.file", value: clip(imatrixFileName(id)) },
    { key: "quantize.imatrix.dataset", value: clip(id.dataset) },
    { key: "quantize.imatrix.entries_count", value: counts.entries },
    { key: "quantize.imatrix.chunks_count", value: counts.chunks },
  ];
}

/** At most 127 bytes (llama.cpp's limit for string metadata overrides), on a character boundary. */
function clip(value: string): string {
  let out = value;
  while (Buffer.byteLength(out) > 127) {
    out = out.slice(0, -1);
  }
  return out;
}
