/**
 * The HTTP server for bench/downloads.ts, in a process of its own so serving does not compete
 * with the client's event loop: the tests' flaky server over one file, clean at /files/model.gguf
 * and dropping the connection every `dropEvery` bytes at /files/dropping.gguf.
 *
 *   node --import tsx bench/download-server.ts <file.gguf> <dropEveryBytes>
 */
import { readFileSync } from "node:fs";
import { FlakyServer } from "../tests/helpers/flakyServer.js";

const [file, dropEvery] = process.argv.slice(2);
if (file === undefined) {
  throw new Error("usage: download-server.ts <file.gguf> <dropEveryBytes>");
}
const bytes = readFileSync(file);
const server = await FlakyServer.start();
server.addFile("model.gguf", { bytes });
const every = Number(dropEvery ?? 64 * 2 ** 20);
server.addFile("dropping.gguf", {
  bytes,
  dropAfter: (_n, body) => (body > every ? every : null),
});
process.stdout.write(`${server.url}\n`);
process.on("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
