import { afterAll, expect, it } from "vitest";
import { openLowbit } from "../../src-main/services/lowbit.js";
import { makeTempDir } from "../helpers/tempDir.js";

const temp = makeTempDir("lowbit-load-wait-");
afterAll(() => temp.cleanup());

/**
 * "Load anyway" is still loading when the user sends a message: the send must wait for that
 * load, not start its own without the user's "anyway" and be refused for memory. (The first load
 * of the extended runtime takes long enough for a quick click to land in between.)
 */
it("a second ask for the load under way waits for it instead of being refused", async () => {
  const app = await openLowbit({ home: temp.dir, shell: "test", registerStarterModel: true });
  try {
    const starter = app.library.list()[0]!;
    app.settings.set({ "runtime.memoryLimit": 16 * 1024 * 1024 });
    const request = await app.library.prepareLoad(starter, app.settings.get());
    await expect(app.runtime.load(request)).rejects.toMatchObject({ code: "insufficient_memory" });
    const anyway = app.runtime.load(request, { force: true });
    const meanwhile = app.runtime.load(request);
    await expect(meanwhile).resolves.toMatchObject({ status: "ready", model: { id: starter.id } });
    expect(await anyway).toEqual(await meanwhile);
    // Once it is done, a new ask is a new load, refused again without "anyway".
    await app.runtime.unload();
    await expect(app.runtime.load(request)).rejects.toMatchObject({ code: "insufficient_memory" });
  } finally {
    app.close();
  }
}, 120_000);
