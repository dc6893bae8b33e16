import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";

export interface StreamProgress {
  (bytes: number): void;
}

/** sha256 of a file, reading it once. */
export async function hashFile(
  path: string,
  signal?: AbortSignal,
  onBytes?: StreamProgress,
): Promise<string> {
  const hash = createHash("sha256");
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      onBytes?.(bytes);
      done();
    },
  });
  await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), counter, { signal });
  return hash.digest("hex");
}

/** Copies a file and hashes it in the same pass: a large model is read from disk only once. */
export async function copyAndHash(
  from: string,
  to: string,
  signal?: AbortSignal,
  onBytes?: StreamProgress,
): Promise<string> {
  const hash = createHash("sha256");
  let bytes = 0;
  const tee = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      onBytes?.(bytes);
      done(null, chunk);
    },
  });
  await pipeline(
    createReadStream(from, { highWaterMark: 1 << 20 }),
    tee,
    createWriteStream(to, { flags: "wx" }),
    { signal },
  );
  return hash.digest("hex");
}
