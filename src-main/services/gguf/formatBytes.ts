const units = ["KB", "MB", "GB", "TB"] as const;

/** "1.2 GB": decimal units, one decimal, for messages a user reads. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) {
    return `${bytes} bytes`;
  }
  let value = bytes;
  let unit: string = "bytes";
  for (const next of units) {
    if (value < 1000) {
      break;
    }
    value /= 1000;
    unit = next;
  }
  return `${value.toFixed(1)} ${unit}`;
}

/**
 * Formats two sizes that will be compared in one sentence. When they round to the same text the
 * exact byte counts are added, so "ends at 1.2 GB but needs 1.2 GB" never happens.
 */
export function formatBytePair(a: number, b: number): [string, string] {
  const fa = formatBytes(a);
  const fb = formatBytes(b);
  if (fa !== fb || a === b) {
    return [fa, fb];
  }
  const exact = (n: number) => `${n.toLocaleString("en-US")} bytes`;
  return [`${fa} (${exact(a)})`, `${fb} (${exact(b)})`];
}
