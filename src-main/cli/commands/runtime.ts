import { AppError } from "../../contract/index.js";
import type { Lowbit } from "../../services/lowbit.js";
import { parseCommand } from "../args.js";
import type { Output } from "../output.js";

/** `lowbit runtime`: which llama.cpp runs here, and whether Lowbit's own types are in it. */
export async function runtimeCommand(app: Lowbit, args: string[], out: Output): Promise<void> {
  const { positionals } = parseCommand("runtime", args, {});
  if (positionals.length > 0) {
    throw new AppError("invalid_params", `runtime: unexpected “${positionals[0]}”.`);
  }
  const extended = await app.extendedRuntime.status();
  out.result({ extended }, () =>
    extended.available
      ? `Lowbit extended runtime: loaded (llama.cpp built here, with ${extended.types.join(", ")}).`
      : [
          `Lowbit extended runtime: not loaded (${extended.buildType} llama.cpp).`,
          extended.reason ?? "",
          extended.hint ?? "",
          "Levels that need it (PTQTP1, PTQTP2) are unavailable; everything else works.",
        ]
          .filter((line) => line !== "")
          .join("\n"),
  );
}
