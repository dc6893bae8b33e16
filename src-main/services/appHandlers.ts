import path from "node:path";
import { AppError, type AppContract } from "../contract/index.js";
import type { Handlers } from "../rpc/server.js";
import type { Lowbit } from "./lowbit.js";

/** Binds every endpoint of the app contract to the services. No logic lives here. */
export function createAppHandlers(app: Lowbit): Handlers<AppContract> {
  return {
    "app.info": () => app.info(),
    "runtime.capabilities": async () => ({ extended: await app.extendedRuntime.status() }),
    "app.pickModelFile": async () => {
      if (app.pickModelFile === undefined) {
        throw new AppError(
          "unsupported",
          "There is no file dialog in browser mode.",
          "Type or paste the file's path.",
        );
      }
      return { path: await app.pickModelFile() };
    },

    "models.list": () => app.library.list(),
    "models.changed": () => app.library.changed,
    "models.get": ({ id }) => app.library.get(id),
    "models.resolve": ({ ref }) => app.library.resolve(ref),
    "models.import": (params, ctx) =>
      app.jobs.run("import", `Import ${path.basename(params.path)}`, params, ctx.signal, (job) =>
        app.library.import(params, {
          signal: job.signal,
          setPartialPath: job.setPartialPath,
          progress: (packet) => {
            ctx.progress(packet);
            job.progress(packet.fraction);
          },
        }),
      ),
    "models.rename": ({ id, name }) => app.library.rename(id, name),
    "models.remove": async ({ id, deleteFile }) => {
      if (app.runtime.loadedModelId === id) {
        await app.runtime.unload();
      }
      return app.library.remove(id, deleteFile);
    },

    "conversations.list": () => app.chat.list(),
    "conversations.get": ({ id }) => app.chat.get(id),
    "conversations.create": (values) => app.chat.create(values),
    "conversations.rename": ({ id, title }) => app.chat.rename(id, title),
    "conversations.remove": ({ id }) => ({ removed: app.chat.remove(id) }),
    "conversations.setSystemPrompt": ({ id, systemPrompt }) =>
      app.chat.setSystemPrompt(id, systemPrompt),
    "conversations.search": ({ query }) => app.chat.search(query),
    "conversations.export": ({ id, format }) => app.chat.export(id, format),
    // Closing the window or reloading the page stops a reply, as the stop button does.
    "chat.send": ({ conversationId, text }, ctx) =>
      app.chat.send(conversationId, text, {
        signal: AbortSignal.any([ctx.signal, ctx.disconnected]),
        progress: ctx.progress,
      }),
    "chat.regenerate": ({ conversationId }, ctx) =>
      app.chat.regenerate(conversationId, {
        signal: AbortSignal.any([ctx.signal, ctx.disconnected]),
        progress: ctx.progress,
      }),
    "chat.edit": ({ conversationId, messageId, text }, ctx) =>
      app.chat.edit(conversationId, messageId, text, {
        signal: AbortSignal.any([ctx.signal, ctx.disconnected]),
        progress: ctx.progress,
      }),

    "runtime.state": () => app.runtime.state,
    "runtime.load": async ({ modelId, force }, ctx) => {
      const model = app.library.get(modelId);
      const request = await app.library.prepareLoad(model, app.settings.get());
      return app.runtime.load(request, {
        signal: ctx.signal,
        force,
        onProgress: (fraction) => ctx.progress({ fraction }),
      });
    },
    "runtime.unload": () => app.runtime.unload(),
    "runtime.memory": () => app.runtime.memory,
    "runtime.estimate": ({ modelId, contextSize, kv }) =>
      app.kv.estimate(modelId, { contextSize, kv }),

    "kv.capabilities": ({ modelId }) => app.kv.capabilities(modelId),
    "kv.apply": (params, ctx) =>
      app.kv.apply(params, { signal: ctx.signal, onProgress: ctx.progress }),

    "settings.get": () => app.settings.get(),
    "settings.set": ({ patch }) => app.settings.set(patch),
    "settings.changed": () => app.settings.changed,

    "jobs.list": ({ limit }) => app.jobs.list(limit),
    "jobs.changed": () => app.jobs.changed,

    "downloads.search": ({ source }, ctx) => app.downloads.search(source, ctx.disconnected),
    "downloads.check": ({ source, sha256 }, ctx) =>
      app.downloads.check(source, sha256, ctx.disconnected),
    "downloads.add": (params) => app.downloads.add(params),
    // Closing the window does not stop a download; cancelling this job does.
    "downloads.pull": async (params, ctx) => {
      const record = await app.downloads.add(params);
      return app.downloads.waitFor(record.id, { signal: ctx.signal, onProgress: ctx.progress });
    },
    "downloads.list": () => app.downloads.list(),
    "downloads.changed": () => app.downloads.changed,
    "downloads.pause": ({ id }) => app.downloads.pause(id),
    "downloads.resume": ({ id }) => app.downloads.resume(id),
    "downloads.cancel": ({ id }) => app.downloads.cancel(id),
    "downloads.clear": ({ id }) => app.downloads.clear(id),

    "compress.levels": ({ modelId, contextSize, kvTypeK, kvTypeV }) =>
      app.compress.levels(modelId, { contextSize, kvTypeK, kvTypeV }),
    // A quantization outlives the window that started it: runs.cancel stops it from anywhere.
    "compress.quantize": (params, ctx) =>
      app.compress.quantize(params, { signal: ctx.signal, progress: ctx.progress }),
    "compress.export": (params, ctx) =>
      app.compress.export(params, { signal: ctx.signal, progress: ctx.progress }),
    "compress.suggestExportPath": ({ modelId }) => ({
      path: app.compress.suggestExportPath(modelId),
    }),
    "runs.list": ({ modelId, limit }) => app.compress.runs.list(limit, modelId),
    "runs.get": ({ id }) => app.compress.runs.get(id),
    "runs.cancel": ({ id }) => ({ cancelled: app.compress.cancel(id) }),
    "runs.changed": () => app.compress.runs.changed,

    // A measurement or sweep goes on when its window closes; cancelling its job stops it.
    "evaluate.run": (params, ctx) =>
      app.evaluate.evaluate(params, { signal: ctx.signal, progress: ctx.progress }),
    "evaluate.sweep": (params, ctx) =>
      app.evaluate.sweep(params, { signal: ctx.signal, progress: ctx.progress }),
    "evaluate.list": ({ modelId, runId, limit }) =>
      app.evaluate.list(limit, {
        ...(modelId === undefined ? {} : { modelId }),
        ...(runId === undefined ? {} : { runId }),
      }),
    "evaluate.get": ({ id }) => app.evaluate.get(id),
    "evaluate.remove": ({ id }) => ({ removed: app.evaluate.remove(id) }),
    "evaluate.changed": () => app.evaluate.changed,
    "evaluate.info": () => app.evaluate.info(),
    "evaluate.clearCache": () => app.evaluate.clearCache(),
  };
}
