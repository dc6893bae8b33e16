import { formatBytes } from "./formatBytes.js";
import { GgufFormatError } from "./ggufFormatError.js";

/**
 * Thrown (not an error) when the parser reaches the end of the bytes read so far while the file
 * has more: the reader then reads a longer prefix and parses again.
 */
export class NeedMoreBytes {
  constructor(readonly upTo: number) {}
}

const TWO_POW_32 = 2 ** 32;

/**
 * Little-endian reads over a prefix of a file. Knows the real file size, so running out of bytes
 * is either "read more" (NeedMoreBytes) or "the file is truncated" (GgufFormatError).
 */
export class HeaderCursor {
  pos = 0;
  /** What is being read, for messages: "metadata key 'general.name'". */
  where = "the header";

  constructor(
    private readonly buf: Buffer,
    readonly fileSize: number,
  ) {}

  /** Bytes left in the whole file after the current position. */
  get fileRemaining(): number {
    return this.fileSize - this.pos;
  }

  private take(n: number): number {
    const start = this.pos;
    const end = start + n;
    if (end > this.buf.length) {
      if (end > this.fileSize) {
        throw new GgufFormatError(
          `the file ends at ${formatBytes(this.fileSize)}, in the middle of ${this.where}: ` +
            "the file is truncated",
          "download it again",
        );
      }
      throw new NeedMoreBytes(end);
    }
    this.pos = end;
    return start;
  }

  u8(): number {
    return this.buf.readUInt8(this.take(1));
  }
  i8(): number {
    return this.buf.readInt8(this.take(1));
  }
  u16(): number {
    return this.buf.readUInt16LE(this.take(2));
  }
  i16(): number {
    return this.buf.readInt16LE(this.take(2));
  }
  u32(): number {
    return this.buf.readUInt32LE(this.take(4));
  }
  i32(): number {
    return this.buf.readInt32LE(this.take(4));
  }
  f32(): number {
    return this.buf.readFloatLE(this.take(4));
  }
  f64(): number {
    return this.buf.readDoubleLE(this.take(8));
  }
  u64(): bigint {
    return this.buf.readBigUInt64LE(this.take(8));
  }
  i64(): bigint {
    return this.buf.readBigInt64LE(this.take(8));
  }

  /** A u64 used as a count, length or offset: must fit a JS number exactly. */
  size(what: string): number {
    const at = this.take(8);
    const low = this.buf.readUInt32LE(at);
    const high = this.buf.readUInt32LE(at + 4);
    if (high >= 2 ** 21) {
      throw new GgufFormatError(
        `${what} in ${this.where} is ${this.buf.readBigUInt64LE(at)}, which no real model ` +
          "file has: the file is corrupt",
      );
    }
    return high * TWO_POW_32 + low;
  }

  /** Raw bytes; `decode` with replacement characters so a bad byte never stops a read. */
  bytes(n: number): Buffer {
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }
}
