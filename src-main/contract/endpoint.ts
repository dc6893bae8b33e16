import { z } from "zod";

/**
 * The three endpoint kinds of the contract:
 * - rpc: one request, one response;
 * - job: a long call that streams typed progress packets and ends with a result or an error;
 *   the client may cancel it (downloads, quantizations, chat generation);
 * - signal: read-only state the server pushes whenever it changes (whole snapshots).
 */
export interface RpcEndpoint<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly kind: "rpc";
  readonly params: P;
  readonly result: R;
}

export interface JobEndpoint<
  P extends z.ZodType = z.ZodType,
  G extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> {
  readonly kind: "job";
  readonly params: P;
  readonly progress: G;
  readonly result: R;
}

export interface SignalEndpoint<P extends z.ZodType = z.ZodType, V extends z.ZodType = z.ZodType> {
  readonly kind: "signal";
  readonly params: P;
  readonly value: V;
}

export type Endpoint = RpcEndpoint | JobEndpoint | SignalEndpoint;
export type Contract = Record<string, Endpoint>;

export function rpc<P extends z.ZodType, R extends z.ZodType>(params: P, result: R) {
  return { kind: "rpc", params, result } as const satisfies RpcEndpoint<P, R>;
}

export function job<P extends z.ZodType, G extends z.ZodType, R extends z.ZodType>(
  params: P,
  progress: G,
  result: R,
) {
  return { kind: "job", params, progress, result } as const satisfies JobEndpoint<P, G, R>;
}

export function signal<P extends z.ZodType, V extends z.ZodType>(params: P, value: V) {
  return { kind: "signal", params, value } as const satisfies SignalEndpoint<P, V>;
}

export const noParams = z.object({}).strict();

type KeysOfKind<C extends Contract, K extends Endpoint["kind"]> = {
  [E in keyof C]: C[E]["kind"] extends K ? E : never;
}[keyof C] &
  string;

export type RpcName<C extends Contract> = KeysOfKind<C, "rpc">;
export type JobName<C extends Contract> = KeysOfKind<C, "job">;
export type SignalName<C extends Contract> = KeysOfKind<C, "signal">;

/** What a caller passes (before defaults are applied). */
export type ParamsIn<C extends Contract, E extends keyof C> = z.input<C[E]["params"]>;
/** What a handler receives (after validation and defaults). */
export type ParamsOut<C extends Contract, E extends keyof C> = z.output<C[E]["params"]>;
export type ResultOf<C extends Contract, E extends keyof C> = C[E] extends RpcEndpoint | JobEndpoint
  ? z.output<C[E]["result"]>
  : never;
export type ProgressOf<C extends Contract, E extends keyof C> = C[E] extends JobEndpoint
  ? z.output<C[E]["progress"]>
  : never;
export type SignalValueOf<C extends Contract, E extends keyof C> = C[E] extends SignalEndpoint
  ? z.output<C[E]["value"]>
  : never;
