import { chat } from "./stores/chat.svelte";
import { connection } from "./stores/connection.svelte";
import { library } from "./stores/library.svelte";
import { runtime } from "./stores/runtime.svelte";
import { settings } from "./stores/settings.svelte";

/** Connects, then fills the stores: settings, runtime and the library follow signals. */
export async function startApp(): Promise<void> {
  if (!(await connection.start())) {
    return;
  }
  settings.init();
  runtime.init();
  library.init();
  await Promise.all([library.refresh(), chat.init()]);
}
