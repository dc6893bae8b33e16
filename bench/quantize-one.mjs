// One quantization by Lowbit's addon in a fresh process, as a compression job's worker runs it:
// `node bench/quantize-one.mjs <addon.node> <options JSON>` prints {seconds} (the call's time).
import { createRequire } from "node:module";

const [addonPath, json] = process.argv.slice(2);
const addon = createRequire(import.meta.url)(addonPath);
const options = JSON.parse(json);
const started = performance.now();
await addon.quantize(options).promise;
process.stdout.write(`${JSON.stringify({ seconds: (performance.now() - started) / 1000 })}\n`);
