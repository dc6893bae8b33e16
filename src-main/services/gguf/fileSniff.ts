import { GgufFormatError } from "./ggufFormatError.js";

export const ggufMagic = Buffer.from("GGUF", "latin1");

interface Signature {
  readonly matches: (head: Buffer) => boolean;
  readonly problem: string;
  readonly hint: string;
}

const startsWith = (bytes: string) => (head: Buffer) =>
  head.subarray(0, bytes.length).equals(Buffer.from(bytes, "latin1"));

const asText = (head: Buffer) => head.toString("utf8").trimStart().toLowerCase();

const reDownload = "download the .gguf file itself";

/** Things people end up with instead of a GGUF, most specific first. */
const signatures: readonly Signature[] = [
  {
    matches: (h) => asText(h).startsWith("version https://git-lfs"),
    problem: "this is a Git LFS pointer (a small text file), not the model itself",
    hint: `${reDownload}; on Hugging Face use the "resolve" link, not the "blob" one`,
  },
  {
    matches: (h) => /^(<!doctype html|<html|<head|<body|<\?xml)/.test(asText(h)),
    problem: "this is a web page (HTML), not a model: the link pointed at a page",
    hint: `${reDownload}; on Hugging Face use the "resolve" link, not the "blob" one`,
  },
  {
    matches: (h) => h.length >= 9 && h.readBigUInt64LE(0) < 100_000_000n && h[8] === 0x7b,
    problem: "this is a safetensors file, not a GGUF",
    hint: "convert it with llama.cpp's convert_hf_to_gguf.py, or download a GGUF version",
  },
  {
    matches: (h) => ["lmgg", "fmgg", "tjgg", "algg"].some((m) => startsWith(m)(h)),
    problem: "this is a model in the old GGML format that came before GGUF",
    hint: "download a GGUF version of the model",
  },
  {
    matches: startsWith("\x89PNG"),
    problem: "this is a PNG image, not a model",
    hint: reDownload,
  },
  {
    matches: (h) => startsWith("\xff\xd8\xff")(h) || startsWith("GIF8")(h),
    problem: "this is an image, not a model",
    hint: reDownload,
  },
  {
    matches: startsWith("PK\x03\x04"),
    problem: "this is a ZIP archive, not a model",
    hint: "extract the .gguf file from it first",
  },
  {
    matches: startsWith("\x1f\x8b"),
    problem: "this file is gzip-compressed",
    hint: "decompress it first",
  },
  {
    matches: startsWith("%PDF"),
    problem: "this is a PDF document, not a model",
    hint: reDownload,
  },
  {
    matches: (h) => /^[{[]/.test(asText(h)),
    problem: "this is a JSON file, not a model",
    hint: reDownload,
  },
];

/** Explains what a file that does not start with "GGUF" probably is. */
export function describeNonGguf(head: Buffer, fileSize: number): GgufFormatError {
  if (fileSize === 0) {
    return new GgufFormatError("the file is empty", reDownload);
  }
  if (fileSize < 4 && ggufMagic.subarray(0, fileSize).equals(head.subarray(0, fileSize))) {
    return new GgufFormatError(
      `the file is only ${fileSize} bytes long: the file is truncated`,
      "download it again",
    );
  }
  const known = signatures.find((s) => s.matches(head));
  if (known !== undefined) {
    return new GgufFormatError(known.problem, known.hint);
  }
  if (looksLikeText(head)) {
    return new GgufFormatError("this is a text file, not a GGUF model", reDownload);
  }
  return new GgufFormatError(
    "this is not a GGUF model: the file does not start with the GGUF signature",
    "check that you picked the right file",
  );
}

/** Mostly valid UTF-8 without control characters other than tab, newline and carriage return. */
function looksLikeText(head: Buffer): boolean {
  const sample = head.subarray(0, 512);
  const isOdd = (ch: string) => {
    const code = ch.codePointAt(0)!;
    return ch === "\uFFFD" || (code < 0x20 && ch !== "\t" && ch !== "\n" && ch !== "\r");
  };
  const odd = [...sample.toString("utf8")].filter(isOdd);
  return sample.length > 0 && odd.length <= sample.length / 100;
}
