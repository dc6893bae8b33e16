import { parseArgs, type ParseArgsConfig } from "node:util";
import { AppError } from "../contract/index.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses one command's arguments strictly; a wrong flag is an error that names it and the help. */
export function parseCommand<O extends Options>(command: string, args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new AppError(
      "invalid_params",
      `${command}: ${(error as Error).message}`,
      `Run: lowbit ${command} --help`,
    );
  }
}

export function intOption(
  command: string,
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new AppError(
      "invalid_params",
      `${command}: --${name} must be a whole number from ${min} to ${max}, not “${value}”.`,
    );
  }
  return parsed;
}

export function numberOption(
  command: string,
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new AppError(
      "invalid_params",
      `${command}: --${name} must be a number from ${min} to ${max}, not “${value}”.`,
    );
  }
  return parsed;
}

export function requirePositional(
  command: string,
  positionals: string[],
  index: number,
  what: string,
): string {
  const value = positionals[index];
  if (value === undefined) {
    throw new AppError(
      "invalid_params",
      `${command}: missing ${what}.`,
      `Run: lowbit ${command} --help`,
    );
  }
  return value;
}
