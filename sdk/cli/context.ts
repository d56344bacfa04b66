import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { GameServersClient } from "../core/client.js";
import { GameServersError } from "../core/errors.js";
import type { GameServer } from "../schemas/index.js";
import { CommandError, UsageError } from "./args.js";

/** What a command runs with: its streams, the Ctrl-C signal, and a client made on first use. */
export interface Context {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Aborts on Ctrl-C (SIGINT). */
  signal: AbortSignal;
  /** One line to stdout. */
  print(line: string): void;
  /** One line to stderr. */
  warn(line: string): void;
}

/** The connection flags every command takes. */
export interface ConnectionFlags {
  "api-url"?: string;
  "console-api-url"?: string;
  "api-key-file"?: string;
}

/**
 * A client configured as the SDK is (the same environment variables), plus the flags. The key
 * comes from `--api-key-file` or `GAMESERVERS_API_KEY`, never from a flag value.
 * Missing or malformed settings are a {@link UsageError} (exit 2): nothing was sent.
 */
export function makeClient(flags: ConnectionFlags, env: NodeJS.ProcessEnv): GameServersClient {
  const apiKey = apiKeyOf(flags, env);
  try {
    return new GameServersClient({
      apiKey,
      baseUrl: flags["api-url"] ?? (env.GAMESERVERS_API_URL?.trim() || undefined),
      consoleBaseUrl: flags["console-api-url"] ?? (env.GAMESERVERS_CONSOLE_API_URL?.trim() || undefined),
    });
  } catch (error) {
    if (error instanceof GameServersError) throw new UsageError(error.message);
    throw error;
  }
}

/** The API key from `--api-key-file` or `GAMESERVERS_API_KEY`; a {@link UsageError} without one. */
export function apiKeyOf(flags: ConnectionFlags, env: NodeJS.ProcessEnv): string {
  let apiKey: string | undefined;
  const keyFile = flags["api-key-file"];
  if (keyFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(keyFile, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
      throw new UsageError(`cannot read --api-key-file ${JSON.stringify(keyFile)} (${code})`);
    }
    apiKey = text.trim();
    // Never quote the file's content: it is the key, or something near it.
    if (!apiKey) throw new UsageError(`--api-key-file ${JSON.stringify(keyFile)} is empty`);
    if (/\s/.test(apiKey)) throw new UsageError(`--api-key-file ${JSON.stringify(keyFile)} must hold the key alone, on one line`);
  } else {
    apiKey = env.GAMESERVERS_API_KEY?.trim() || undefined;
  }
  if (!apiKey) throw new UsageError("no API key: set GAMESERVERS_API_KEY or pass --api-key-file PATH");
  return apiKey;
}

/** Every server of the organization (all pages), soft-deleted ones only when asked. */
export async function listAll(client: GameServersClient, signal: AbortSignal, includeDeleted = false): Promise<GameServer[]> {
  const servers: GameServer[] = [];
  for await (const server of client.gameServers.list({ pageSize: 100, ...(includeDeleted ? { includeDeleted } : {}) }, { signal })) {
    servers.push(server);
  }
  return servers;
}

/** Asks on the terminal; anything but y/yes is a no. */
export async function confirm(ctx: Context, question: string): Promise<boolean> {
  const rl = createInterface({ input: ctx.stdin, output: ctx.stderr, terminal: false });
  try {
    const onAbort = () => rl.close();
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    const answer = await new Promise<string | undefined>((resolve) => {
      rl.once("close", () => resolve(undefined));
      rl.question(question, resolve);
    });
    ctx.signal.removeEventListener("abort", onAbort);
    if (ctx.signal.aborted) throw ctx.signal.reason;
    return /^y(es)?$/i.test(answer?.trim() ?? "");
  } finally {
    rl.close();
  }
}

/** A checkpoint (`pulumi stack export` output) from a file, or from stdin for `-`: `--state` of orphans and board. */
export async function readStateFrom(source: string, ctx: Context): Promise<string> {
  if (source !== "-") {
    try {
      return await readFile(source, "utf8");
    } catch (error) {
      throw new CommandError(`cannot read --state ${JSON.stringify(source)} (${(error as NodeJS.ErrnoException).code ?? "unreadable"})`);
    }
  }
  if (ctx.stdin.isTTY) ctx.warn("Reading the state from stdin (pipe `pulumi stack export` into this command)...");
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}
