import { z } from "zod";
import { appErrorDataSchema } from "./errors.js";

/**
 * The wire protocol every transport carries (Electron MessagePort, WebSocket, in-memory,
 * child-process IPC). Only envelopes are checked here; payloads are checked against the
 * endpoint's own schemas by the ports.
 */
const id = z.number().int().nonnegative();

export const clientMessageSchema = z.discriminatedUnion("t", [
  z.object({ t: z.literal("call"), id, ep: z.string(), params: z.unknown() }),
  z.object({ t: z.literal("job"), id, ep: z.string(), params: z.unknown() }),
  z.object({ t: z.literal("cancel"), id }),
  z.object({ t: z.literal("sub"), id, ep: z.string(), params: z.unknown() }),
  z.object({ t: z.literal("unsub"), id }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

export const serverMessageSchema = z.discriminatedUnion("t", [
  z.object({ t: z.literal("ok"), id, value: z.unknown() }),
  z.object({ t: z.literal("err"), id, error: appErrorDataSchema }),
  z.object({ t: z.literal("progress"), id, value: z.unknown() }),
  z.object({ t: z.literal("signal"), id, value: z.unknown() }),
  /** A message from the client that could not be read at all (no usable id). */
  z.object({ t: z.literal("warning"), error: appErrorDataSchema }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;
