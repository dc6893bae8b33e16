import { AppError, type Model } from "../../contract/index.js";
import type { Lowbit } from "../../services/lowbit.js";
import { parseCommand, requirePositional } from "../args.js";
import { formatGiB, formatParams, table, type Output } from "../output.js";
import { pullCommand } from "./pull.js";
import { searchCommand } from "./search.js";

export async function modelsCommand(app: Lowbit, args: string[], out: Output): Promise<void> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "import":
      return importModel(app, rest, out);
    case "pull":
      return pullCommand(app, rest, out);
    case "search":
      return searchCommand(app, rest, out);
    case "list":
    case "ls": {
      parseCommand("models list", rest, {});
      const models = app.library.list();
      const selected = app.settings.get()["library.selectedModelId"];
      out.result(models, () =>
        models.length === 0
          ? "No models yet. Import one: lowbit models import <file.gguf>"
          : table([
              ["", "ID", "NAME", "ARCH", "PARAMS", "TYPE", "BPW", "SIZE"],
              ...models.map((m) => [
                m.id === selected ? "*" : "",
                m.id,
                m.name,
                m.arch,
                formatParams(m.params),
                m.fileType ?? "?",
                m.bpw.toFixed(2),
                formatGiB(m.sizeBytes),
              ]),
            ]),
      );
      return;
    }
    case "info": {
      const { positionals } = parseCommand("models info", rest, {});
      const ref = requirePositional("models info", positionals, 0, "a model id, name or path");
      const model = await resolveOrInspect(app, ref);
      out.result(model, () => describe(model));
      return;
    }
    case "rm":
    case "remove": {
      const { positionals, values } = parseCommand("models rm", rest, {
        "keep-file": { type: "boolean" },
      });
      const ref = requirePositional("models rm", positionals, 0, "a model id or name");
      const model = app.library.resolve(ref);
      const result = await app.library.remove(model.id, values["keep-file"] !== true);
      out.result(
        { ...result, id: model.id },
        () =>
          `Removed ${model.name} (${model.id})${result.fileDeleted ? " and deleted its file" : ""}.`,
      );
      return;
    }
    default:
      throw new AppError(
        "invalid_params",
        sub === undefined ? "models: missing subcommand." : `models: unknown subcommand “${sub}”.`,
        "Use one of: import, pull, search, list, info, rm.",
      );
  }
}

async function importModel(app: Lowbit, args: string[], out: Output): Promise<void> {
  const { positionals, values } = parseCommand("models import", args, {
    name: { type: "string" },
    link: { type: "boolean" },
  });
  const file = requirePositional("models import", positionals, 0, "the path of a .gguf file");
  const params = { path: file, name: values.name, link: values.link === true };
  let lastShown = -1;
  const model = await app.jobs.run("import", `Import ${file}`, params, undefined, (job) =>
    app.library.import(params, {
      signal: job.signal,
      setPartialPath: job.setPartialPath,
      progress: (p) => {
        job.progress(p.fraction);
        const percent = Math.floor(p.fraction * 100);
        if (percent >= lastShown + 10 || p.phase === "registering") {
          lastShown = percent;
          out.note(`${p.phase} ${percent}%`);
        }
      },
    }),
  );
  out.result(model, () => `Imported ${model.name} as ${model.id}.\n${describe(model)}`);
}

/** A library model by id, name or path; an unregistered path is described without importing it. */
export async function resolveOrInspect(app: Lowbit, ref: string): Promise<Model> {
  try {
    return app.library.resolve(ref);
  } catch (error) {
    if (error instanceof AppError && error.code === "not_found" && /[/\\]|\.gguf$/i.test(ref)) {
      return app.library.inspect(ref);
    }
    throw error;
  }
}

function describe(model: Model): string {
  const types = Object.entries(model.typeHistogram)
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .map(([type, stats]) => `${type} ×${stats.tensors}`)
    .join(", ");
  return table([
    ["id", model.id],
    ["name", model.name],
    ["path", `${model.path}${model.linked ? " (linked)" : ""}`],
    [
      "kind",
      model.kind === "base"
        ? "base model (continues text)"
        : model.kind === "instruct"
          ? "instruct model (chat)"
          : "unknown",
    ],
    ["architecture", model.arch],
    ["parameters", formatParams(model.params)],
    ["context length", String(model.contextLength ?? "?")],
    ["file type", model.fileType ?? "?"],
    ["bits per weight", model.bpw.toFixed(3)],
    ["size", formatGiB(model.sizeBytes)],
    ["tensor types", types],
    ["sha256", model.sha256 || "(not hashed: not in the library)"],
  ]);
}
