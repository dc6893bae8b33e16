import type { z } from "zod";
import {
  AppError,
  describeIssues,
  serverMessageSchema,
  type AppErrorData,
  type ClientMessage,
  type Contract,
  type JobName,
  type ParamsIn,
  type ProgressOf,
  type ResultOf,
  type RpcName,
  type SignalName,
  type SignalValueOf,
} from "../contract/index.js";
import type { Transport } from "./transport.js";

export interface JobOptions<G> {
  onProgress?: (packet: G) => void;
  /** Aborting sends a cancel to the server; the promise settles with whatever the server answers. */
  signal?: AbortSignal;
}

interface Pending {
  ep: string;
  kind: "rpc" | "job";
  resolve(value: unknown): void;
  reject(error: AppError): void;
  onProgress?: ((packet: unknown) => void) | undefined;
}

interface Subscription {
  ep: string;
  listener(value: unknown): void;
}

/**
 * The client side of the contract over any transport: validates what it sends (naming the
 * endpoint and field) and what it receives; every failure rejects with an AppError.
 */
export class ContractClient<C extends Contract> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly subscriptions = new Map<number, Subscription>();
  private closedReason: string | null = null;
  private readonly closeListeners = new Set<(reason: string) => void>();

  constructor(
    private readonly contract: C,
    private readonly transport: Transport,
    /** Maps "the connection went away" to a domain error (e.g. "the model process crashed"). */
    private readonly closedError: (reason: string) => AppError = (reason) =>
      new AppError(
        "transport_closed",
        `The connection to Lowbit closed (${reason}).`,
        "Reload the window.",
      ),
  ) {
    transport.onMessage((raw) => this.receive(raw));
    transport.onClose((reason) => this.handleClose(reason));
  }

  get isClosed(): boolean {
    return this.closedReason !== null;
  }

  onClose(listener: (reason: string) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  call<E extends RpcName<C>>(ep: E, params: ParamsIn<C, E>): Promise<ResultOf<C, E>> {
    return this.start(ep, "rpc", params, undefined) as Promise<ResultOf<C, E>>;
  }

  job<E extends JobName<C>>(
    ep: E,
    params: ParamsIn<C, E>,
    options: JobOptions<ProgressOf<C, E>> = {},
  ): Promise<ResultOf<C, E>> {
    return this.start(ep, "job", params, options as JobOptions<unknown>) as Promise<ResultOf<C, E>>;
  }

  /** Calls `listener` with the current value now and on every change; returns unsubscribe. */
  subscribe<E extends SignalName<C>>(
    ep: E,
    params: ParamsIn<C, E>,
    listener: (value: SignalValueOf<C, E>) => void,
  ): () => void {
    const endpoint = this.endpoint(ep, "signal");
    const parsed = this.checkParams(ep, endpoint.params, params);
    const id = this.nextId++;
    this.subscriptions.set(id, { ep, listener: listener as (value: unknown) => void });
    this.post({ t: "sub", id, ep, params: parsed });
    return () => {
      if (this.subscriptions.delete(id) && !this.isClosed) {
        this.post({ t: "unsub", id });
      }
    };
  }

  close(): void {
    this.transport.close();
  }

  private start(
    ep: string,
    kind: "rpc" | "job",
    params: unknown,
    options: JobOptions<unknown> | undefined,
  ) {
    return new Promise<unknown>((resolve, reject) => {
      if (this.closedReason !== null) {
        reject(this.closedError(this.closedReason));
        return;
      }
      const endpoint = this.endpoint(ep, kind);
      const parsed = this.checkParams(ep, endpoint.params, params);
      const id = this.nextId++;
      const signal = options?.signal;
      const cancel = (): void => {
        if (this.pending.has(id) && !this.isClosed) {
          this.post({ t: "cancel", id });
        }
      };
      // A caller may pass one signal to many calls (a chat's, a sweep's): each call removes its
      // listener when it settles, so they do not pile up on the signal.
      const settle =
        <T>(finish: (value: T) => void) =>
        (value: T): void => {
          signal?.removeEventListener("abort", cancel);
          finish(value);
        };
      this.pending.set(id, {
        ep,
        kind,
        resolve: settle(resolve),
        reject: settle(reject),
        onProgress: options?.onProgress,
      });
      this.post(
        kind === "rpc"
          ? { t: "call", id, ep, params: parsed }
          : { t: "job", id, ep, params: parsed },
      );
      if (signal !== undefined && this.pending.has(id)) {
        if (signal.aborted) {
          cancel();
        } else {
          signal.addEventListener("abort", cancel, { once: true });
        }
      }
    });
  }

  private endpoint(ep: string, kind: "rpc" | "job" | "signal") {
    const endpoint = Object.hasOwn(this.contract, ep) ? this.contract[ep] : undefined;
    if (endpoint === undefined || endpoint.kind !== kind) {
      throw new AppError("unknown_endpoint", `${ep}: no such ${kind} endpoint.`);
    }
    return endpoint;
  }

  private checkParams(ep: string, schema: z.ZodType, params: unknown): unknown {
    // Send what the caller gave (the server applies defaults); only check it here.
    const parsed = schema.safeParse(params);
    if (!parsed.success) {
      throw new AppError("invalid_params", describeIssues(ep, "params", parsed.error));
    }
    return params;
  }

  private post(message: ClientMessage): void {
    try {
      this.transport.send(message);
    } catch (error) {
      this.handleClose(error instanceof Error ? error.message : String(error));
    }
  }

  private receive(raw: unknown): void {
    const parsed = serverMessageSchema.safeParse(raw);
    if (!parsed.success) {
      return; // Nothing sensible to attach it to; the server is a different version or broken.
    }
    const message = parsed.data;
    if (message.t === "warning") {
      return;
    }
    if (message.t === "signal") {
      const subscription = this.subscriptions.get(message.id);
      if (subscription === undefined) {
        return;
      }
      const endpoint = this.contract[subscription.ep];
      if (endpoint?.kind !== "signal") {
        return;
      }
      const value = endpoint.value.safeParse(message.value);
      if (value.success) {
        subscription.listener(value.data);
      }
      return;
    }
    const pending = this.pending.get(message.id);
    if (pending === undefined) {
      return;
    }
    const endpoint = this.contract[pending.ep];
    if (endpoint === undefined || endpoint.kind === "signal") {
      return;
    }
    if (message.t === "progress") {
      if (endpoint.kind !== "job" || pending.onProgress === undefined) {
        return;
      }
      const packet = endpoint.progress.safeParse(message.value);
      if (packet.success) {
        try {
          pending.onProgress(packet.data);
        } catch {
          // A throwing progress callback must not break the job.
        }
      }
      return;
    }
    this.pending.delete(message.id);
    if (message.t === "err") {
      pending.reject(AppError.fromData(message.error));
      return;
    }
    const value = endpoint.result.safeParse(message.value);
    if (value.success) {
      pending.resolve(value.data);
    } else {
      pending.reject(
        new AppError("invalid_result", describeIssues(pending.ep, "result", value.error)),
      );
    }
  }

  private handleClose(reason: string): void {
    if (this.closedReason !== null) {
      return;
    }
    this.closedReason = reason;
    const error = this.closedError(reason);
    for (const pending of this.pending.values()) {
      pending.reject(error);
    }
    this.pending.clear();
    this.subscriptions.clear();
    for (const listener of [...this.closeListeners]) {
      listener(reason);
    }
  }
}

export type { AppErrorData };
