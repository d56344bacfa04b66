import { type ParseArgsOptionsConfig, parseArgs } from "node:util";

/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** The API refused or failed, or the command could not do its job at run time. */
  failure: 1,
  /** Bad arguments: unknown flag, missing id, malformed value. Nothing was sent. */
  usage: 2,
  /** Interrupted with Ctrl-C (SIGINT), as shells report it (128 + 2). */
  interrupted: 130,
} as const;

/** Bad arguments: exits 2. The message names the command whose `--help` explains it. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Ctrl-C: exits 130. */
export class InterruptedError extends Error {
  override name = "InterruptedError";
  constructor() {
    super("interrupted");
  }
}

/** The command could not do its job for a reason that is not an API error: exits 1. */
export class CommandError extends Error {
  override name = "CommandError";
}

/** Options every command takes: where the API is, how to find the key, output format. */
export const COMMON_OPTIONS = {
  "api-url": { type: "string" },
  "console-api-url": { type: "string" },
  "api-key-file": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsOptionsConfig;

/** `--json`, for the commands that read. */
export const JSON_OPTION = { json: { type: "boolean" } } as const satisfies ParseArgsOptionsConfig;

/** Help lines of {@link COMMON_OPTIONS}, appended to each command's help. */
export const COMMON_HELP = `Connection:
  --api-url URL          Game servers API (default: $GAMESERVERS_API_URL, else https://api.sweathost.com)
  --console-api-url URL  Console and log API (default: $GAMESERVERS_CONSOLE_API_URL, else --api-url)
  --api-key-file PATH    Read the API key from this file (default: $GAMESERVERS_API_KEY).
                         The key is never taken as a flag value: it would end up in shell history.
  -h, --help             This help`;

/** A command's parsed arguments. */
export interface Parsed<O extends ParseArgsOptionsConfig> {
  values: { [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : string };
  positionals: string[];
  /** Positionals after a `--` terminator, when there was one. */
  afterTerminator: string[] | undefined;
}

/** `node:util` `parseArgs` in strict mode, its errors turned into {@link UsageError}s. */
export function parse<O extends ParseArgsOptionsConfig>(command: string, argv: string[], options: O): Parsed<O> {
  let result: ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true; tokens: true }>>;
  try {
    result = parseArgs({ args: argv, options, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    // parseArgs adds advice on `--` after the first sentence; the first sentence is the error.
    const message = (error instanceof Error ? error.message : String(error)).split(/\.(?:\s|$)/)[0]!;
    throw new UsageError(`${command}: ${message}`);
  }
  const terminator = result.tokens.findIndex((t) => t.kind === "option-terminator");
  const afterTerminator =
    terminator < 0 ? undefined : result.tokens.slice(terminator + 1).flatMap((t) => (t.kind === "positional" ? [t.value] : []));
  const positionals =
    afterTerminator === undefined ? result.positionals : result.positionals.slice(0, result.positionals.length - afterTerminator.length);
  return { values: result.values as Parsed<O>["values"], positionals, afterTerminator };
}

/**
 * A duration: `500ms`, `2s`, `1m`, or a bare number of seconds (`2`, `0.5`).
 * @returns milliseconds
 */
export function parseDuration(flag: string, value: string, { min = 0 }: { min?: number } = {}): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!match) throw new UsageError(`--${flag} must be a duration such as 2s, 500ms or 1m (got ${JSON.stringify(value)})`);
  const n = Number(match[1]);
  const ms = Math.round(match[2] === "ms" ? n : match[2] === "m" ? n * 60_000 : n * 1000);
  if (ms < min) throw new UsageError(`--${flag} must be at least ${min} ms (got ${JSON.stringify(value)})`);
  return ms;
}

/** A whole number, at least `min`. */
export function parseInteger(flag: string, value: string, { min = 0 }: { min?: number } = {}): number {
  if (!/^-?\d+$/.test(value.trim()) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--${flag} must be a whole number of at least ${min} (got ${JSON.stringify(value)})`);
  }
  return Number(value);
}
