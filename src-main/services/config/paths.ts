import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface LowbitPaths {
  home: string;
  database: string;
  models: string;
  logs: string;
}

/**
 * Where Lowbit keeps its data: `--home`, else `$LOWBIT_HOME`, else the OS app-data folder.
 * The desktop app, `lowbit serve` and the CLI all resolve the same folder, so they share a library.
 */
export function resolveHome(
  explicit?: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (explicit !== undefined && explicit !== "") {
    return path.resolve(explicit);
  }
  if (env.LOWBIT_HOME !== undefined && env.LOWBIT_HOME !== "") {
    return path.resolve(env.LOWBIT_HOME);
  }
  return defaultHome(process.platform, env);
}

export function defaultHome(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string {
  const home = os.homedir();
  if (platform === "darwin") {
    return path.join(home, "Library", "Application Support", "Lowbit");
  }
  if (platform === "win32") {
    return path.join(env.APPDATA ?? path.join(home, "AppData", "Roaming"), "Lowbit");
  }
  return path.join(env.XDG_DATA_HOME ?? path.join(home, ".local", "share"), "lowbit");
}

export function pathsFor(home: string): LowbitPaths {
  return {
    home,
    database: path.join(home, "lowbit.db"),
    models: path.join(home, "models"),
    logs: path.join(home, "logs"),
  };
}

/**
 * The folder holding bundled resources (the starter model, data splits). In a checkout and in the
 * built output it sits at the package root; a packaged app passes it in (LOWBIT_RESOURCES).
 */
export function resourcesDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LOWBIT_RESOURCES !== undefined && env.LOWBIT_RESOURCES !== "") {
    return path.resolve(env.LOWBIT_RESOURCES);
  }
  return path.join(packageRoot(), "resources");
}

/** The folder with Lowbit's package.json, found by walking up from this file. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, "package.json");
    if (existsSync(candidate)) {
      try {
        const name = (JSON.parse(readFileSync(candidate, "utf8")) as { name?: string }).name;
        if (name === "lowbit") {
          return dir;
        }
      } catch {
        // Not ours; keep walking.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error("Cannot find Lowbit's package root.");
    }
    dir = parent;
  }
}
