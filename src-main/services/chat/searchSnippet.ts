/** A short excerpt around the first occurrence of `query` in `text`, on one line. */
export function snippetAround(text: string, query: string, radius = 60): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const index = flat.toLowerCase().indexOf(query.toLowerCase());
  if (index < 0) {
    return flat.slice(0, radius * 2);
  }
  const start = Math.max(0, index - radius);
  const end = Math.min(flat.length, index + query.length + radius);
  return `${start > 0 ? "…" : ""}${flat.slice(start, end)}${end < flat.length ? "…" : ""}`;
}
