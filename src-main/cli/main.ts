/**
 * `lowbit [--home DIR] [--json] <command>`: the CLI over the same services as the app.
 * With --json every command prints exactly one JSON object on stdout (errors as {"error": …}).
 */
import { AppError } from "../contract/index.js";
import { resolveHome } from "../services/config/paths.js";
import { appVersion } from "../services/config/version.js";
import { openLowbit, type Lowbit } from "../services/lowbit.js";
import { chatCommand } from "./commands/chat.js";
import { devCommand } from "./commands/dev.js";
import { evalCommand } from "./commands/eval.js";
import { exportCommand } from "./commands/export.js";
import { levelsCommand } from "./commands/levels.js";
import { modelsCommand } from "./commands/models.js";
import { quantizeCommand } from "./commands/quantize.js";
import { runsCommand } from "./commands/runs.js";
import { runtimeCommand } from "./commands/runtime.js";
import { serveCommand } from "./commands/serve.js";
import { sweepCommand } from "./commands/sweep.js";
import { Output } from "./output.js";

const usage = `Lowbit ${"{version}"}: chat with local LLMs offline, compressed on your own machine.

Usage: lowbit [--home DIR] [--json] <command>

Commands:
  serve [--port N] [--no-open]          the app in your browser, on 127.0.0.1
  models import <path> [--name N] [--link]
                                        add a .gguf to the library (copy, or link in place)
  models pull <url|hf:owner/repo[/file.gguf][@rev][:QUANT]> [--sha256 HEX] [--name N] [--force]
                                        download, resume, verify, add to the library; Ctrl-C
                                        pauses and the same command continues
  models search hf:owner/repo           a Hugging Face repo's GGUF files: quant, size, bpw
  models list                           the library (* marks the selected model)
  models info <id|name|path>            architecture, size, bits per weight, tensor types
  models rm <id|name> [--keep-file]     remove from the library (deletes Lowbit's own copy)
  chat <model> --prompt TEXT [--system TEXT] [--max-tokens N] [--temp T] [--top-p P]
       [--top-k K] [--min-p P] [--repeat-penalty R] [--seed S] [--ctx N] [--threads N]
       [--kv-k T] [--kv-v T] [--fa auto|on|off] [--evict none|window] [--sinks N]
       [--window N] [--force]
                                        one streamed reply; the model is an id, a name or a path;
                                        KV types T: f16 q8_0 q5_1 q5_0 q4_1 q4_0 iq4_nl;
                                        --force loads even when the memory estimate says no
  levels <model> [--ctx N] [--kv-k T --kv-v T]
                                        every compression level: exact size, bpw, fit, calibration
  quantize <model> --level NAME [--imatrix auto|on|off] [--imatrix-text FILE] [--chunks N]
       [--method rtn|gptq] [--calibration-text FILE] [--calibration-chunks N]
       [--out PATH] [--name N] [--threads N] [--allow-requantize]
                                        compress on this machine; the result joins the library
  runs list [--model M] [--limit N]     compression runs, newest first, with what each costs
                                        (ΔPPL, KLD, same top token); runs show <id>: one
  eval <model> [--base <model>] [--text FILE] [--ctx N] [--chunks N] [--threads N] [--force]
                                        what a model costs against its base (the model it was
                                        made from): perplexity, KL divergence, same top token,
                                        prompt and decode speed, llama-perplexity's method
  sweep <model> --levels A,B,… [--text FILE] [--ctx N] [--chunks N] [--threads N]
       [--imatrix auto|on|off]          quantize and measure each level; skips levels measured
                                        with the same text and settings; LEVEL+gptq is the
                                        level's calibrated variant
  export <model|run> --out PATH [--force]
                                        write a GGUF with provenance, PATH.sha256 and a card
  runtime                               which llama.cpp runs here; whether Lowbit's own types
                                        (PTQTP) are in it, and if not, why
  dev tiny-model --out PATH [--embd N] [--layers N] [--ff N] [--vocab N] [--type f32|f16]
                                        write a random-weight llama GGUF for tests

Options:
  --home DIR   data folder (default: $LOWBIT_HOME, else the OS app-data folder)
  --json       one JSON object on stdout per command
`;

interface Global {
  home: string | undefined;
  json: boolean;
  rest: string[];
}

/** Global flags may come anywhere; everything else belongs to the command. */
function splitGlobal(argv: string[]): Global {
  const rest: string[] = [];
  let home: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--json") {
      json = true;
    } else if (arg === "--home") {
      home = argv[++i];
      if (home === undefined) {
        throw new AppError("invalid_params", "--home needs a folder.");
      }
    } else if (arg.startsWith("--home=")) {
      home = arg.slice("--home=".length);
    } else {
      rest.push(arg);
    }
  }
  return { home, json, rest };
}

export async function main(argv: string[]): Promise<number> {
  let out = new Output(argv.includes("--json"));
  let app: Lowbit | null = null;
  try {
    const global = splitGlobal(argv);
    out = new Output(global.json);
    const [command, ...args] = global.rest;
    if (command === undefined || command === "help" || command === "--help" || command === "-h") {
      process.stdout.write(usage.replace("{version}", appVersion()));
      return command === undefined ? 1 : 0;
    }
    if (command === "--version" || command === "-v") {
      out.result({ version: appVersion() }, () => appVersion());
      return 0;
    }
    if (args.includes("--help")) {
      process.stdout.write(usage.replace("{version}", appVersion()));
      return 0;
    }
    if (command === "dev") {
      await devCommand(args, out);
      return 0;
    }
    const home = resolveHome(global.home);
    app = await openLowbit({
      home,
      shell: command === "serve" ? "browser" : "cli",
      registerStarterModel: true,
    });
    switch (command) {
      case "serve":
        await serveCommand(app, args, out);
        return 0;
      case "models":
        await modelsCommand(app, args, out);
        return 0;
      case "chat":
        await chatCommand(app, args, out);
        return 0;
      case "levels":
        await levelsCommand(app, args, out);
        return 0;
      case "quantize":
        await quantizeCommand(app, args, out);
        return 0;
      case "runs":
        await runsCommand(app, args, out);
        return 0;
      case "eval":
        await evalCommand(app, args, out);
        return 0;
      case "sweep":
        await sweepCommand(app, args, out);
        return 0;
      case "export":
        await exportCommand(app, args, out);
        return 0;
      case "runtime":
        await runtimeCommand(app, args, out);
        return 0;
      default:
        throw new AppError("invalid_params", `Unknown command “${command}”.`, "Run: lowbit --help");
    }
  } catch (error) {
    out.error(error);
    return 1;
  } finally {
    app?.close();
  }
}
