// One evaluation pass by Lowbit's addon in a fresh process, as an evaluation's worker runs it:
// `node bench/evaluate-one.mjs <addon.node> <options JSON>` prints the addon's result plus
// {callSeconds} (the evaluate call's own time: model load, tokenizing, the pass).
import { createRequire } from "node:module";

const [addonPath, json] = process.argv.slice(2);
const addon = createRequire(import.meta.url)(addonPath);
const options = JSON.parse(json);
const started = performance.now();
const result = await addon.evaluate(options).promise;
const callSeconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ ...result, callSeconds })}\n`);
