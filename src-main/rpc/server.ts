import type { z } from "zod";
import {
  AppError,
  clientMessageSchema,
  describeIssues,
  toErrorData,
  type AppErrorData,
  type ClientMessage,
  type Contract,
  type JobName,
  type ParamsOut,
  type ProgressOf,
  type ResultOf,
  type RpcName,
  type ServerMessage,
  type SignalName,
  type SignalValueOf,
} from "../contract/index.js";
import type { SignalSource } from "./signal.js";
import type { Transport } from "./transport.js";

export interface CallContext {
  /** Aborted when this connection closes (window closed, page reloaded, worker parent gone). */
  readonly disconnected: AbortSignal;
}

export interface JobContext<G> extends CallContext {
  /** Aborted when the client cancels this job. */
  readonly signal: AbortSignal;
  progress(packet: G): void;
}

export type Handlers<C extends Contract> = {
  [E in RpcName<C>]: (
    params: ParamsOut<C, E>,
    ctx: CallContext,
  ) => Promise<ResultOf<C, E>> | ResultOf<C, E>;
} & {
  [E in JobName<C>]: (
    params: ParamsOut<C, E>,
    ctx: JobContext<ProgressOf<C, E>>,
  ) => Promise<ResultOf<C, E>>;
} & {
  [E in SignalName<C>]: (
    params: ParamsOut<C, E>,
    ctx: CallContext,
  ) => SignalSource<SignalValueOf<C, E>>;
};

export interface ServeOptions {
  /** Check results and packets we send against the contract too (catches server bugs early). */
  validateOutbound?: boolean;
  /** Malformed inbound messages and handler failures, for logs. */
  onWarning?: (warning: AppErrorData) => void;
}

/**
 * Serves one connection: validates every inbound message against the contract, dispatches it
 * to a handler, and turns every failure into error data. A bad message never throws here.
 */
export function serveContract<C extends Contract>(
  contract: C,
  handlers: Handlers<C>,
  transport: Transport,
  options: ServeOptions = {},
): { close(): void } {
  const validateOutbound = options.validateOutbound ?? true;
  const disconnect = new AbortController();
  const jobs = new Map<number, AbortController>();
  const subscriptions = new Map<number, () => void>();
  const anyHandlers = handlers as unknown as Record<string, (...args: unknown[]) => unknown>;

  const send = (message: ServerMessage): void => {
    if (disconnect.signal.aborted) {
      return;
    }
    try {
      transport.send(message);
    } catch (error) {
      options.onWarning?.(toErrorData(error));
    }
  };
  const fail = (id: number, error: AppErrorData): void => {
    options.onWarning?.(error);
    send({ t: "err", id, error });
  };
  const checkOut = (ep: string, what: string, schema: z.ZodType, value: unknown): unknown => {
    if (!validateOutbound) {
      return value;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw new AppError("invalid_result", describeIssues(ep, what, parsed.error));
    }
    return parsed.data;
  };

  const handle = async (message: ClientMessage): Promise<void> => {
    if (message.t === "cancel") {
      jobs.get(message.id)?.abort(new AppError("cancelled", "Cancelled."));
      return;
    }
    if (message.t === "unsub") {
      subscriptions.get(message.id)?.();
      subscriptions.delete(message.id);
      return;
    }
    const endpoint = Object.hasOwn(contract, message.ep) ? contract[message.ep] : undefined;
    const expectedKind = message.t === "call" ? "rpc" : message.t === "job" ? "job" : "signal";
    if (endpoint === undefined || endpoint.kind !== expectedKind) {
      fail(message.id, {
        code: "unknown_endpoint",
        message: `${message.ep}: no such ${expectedKind} endpoint.`,
        hint: "The app and its client may be different versions; reload the window.",
      });
      return;
    }
    const params = endpoint.params.safeParse(message.params);
    if (!params.success) {
      fail(message.id, {
        code: "invalid_params",
        message: describeIssues(message.ep, "params", params.error),
      });
      return;
    }
    const handler = anyHandlers[message.ep];
    if (handler === undefined) {
      fail(message.id, { code: "unsupported", message: `${message.ep}: not available here.` });
      return;
    }
    const base: CallContext = { disconnected: disconnect.signal };
    try {
      if (endpoint.kind === "rpc") {
        const value = await handler(params.data, base);
        send({
          t: "ok",
          id: message.id,
          value: checkOut(message.ep, "result", endpoint.result, value),
        });
      } else if (endpoint.kind === "job") {
        const abort = new AbortController();
        jobs.set(message.id, abort);
        const ctx: JobContext<unknown> = {
          ...base,
          signal: abort.signal,
          progress: (packet) => {
            if (!jobs.has(message.id)) {
              return;
            }
            try {
              const value = checkOut(message.ep, "progress", endpoint.progress, packet);
              send({ t: "progress", id: message.id, value });
            } catch (error) {
              options.onWarning?.(toErrorData(error));
            }
          },
        };
        try {
          const value = await handler(params.data, ctx);
          send({
            t: "ok",
            id: message.id,
            value: checkOut(message.ep, "result", endpoint.result, value),
          });
        } finally {
          jobs.delete(message.id);
        }
      } else {
        const source = handler(params.data, base) as SignalSource<unknown>;
        const push = (value: unknown): void => {
          try {
            send({
              t: "signal",
              id: message.id,
              value: checkOut(message.ep, "value", endpoint.value, value),
            });
          } catch (error) {
            options.onWarning?.(toErrorData(error));
          }
        };
        subscriptions.set(message.id, source.subscribe(push));
        push(source.get());
      }
    } catch (error) {
      fail(message.id, toErrorData(error));
    }
  };

  transport.onMessage((raw) => {
    const parsed = clientMessageSchema.safeParse(raw);
    if (!parsed.success) {
      const id = typeof raw === "object" && raw !== null ? (raw as { id?: unknown }).id : undefined;
      const error: AppErrorData = {
        code: "invalid_message",
        message: describeIssues("message", "envelope", parsed.error),
      };
      if (typeof id === "number" && Number.isInteger(id) && id >= 0) {
        fail(id, error);
      } else {
        options.onWarning?.(error);
        send({ t: "warning", error });
      }
      return;
    }
    void handle(parsed.data);
  });

  const close = (): void => {
    if (disconnect.signal.aborted) {
      return;
    }
    disconnect.abort(new AppError("transport_closed", "The connection closed."));
    for (const unsubscribe of subscriptions.values()) {
      unsubscribe();
    }
    subscriptions.clear();
  };
  transport.onClose(close);
  return {
    close: () => {
      close();
      transport.close();
    },
  };
}
