/**
 * What every resource type's handlers share in the provider host: the settings of the last
 * configure, one API client and one watcher for all waits, and the progress log. A second
 * type's `configure` never disturbs the first's work in flight. Importing it reads nothing.
 */
import { isDeepStrictEqual } from "node:util";
import { AuthenticationError, type GameServersClient, type RequestOptions } from "../../sdk/index.js";
import { clientFor, readSettings, type Settings } from "./settings.js";
import { Watcher } from "./watcher.js";

interface Api {
  client: GameServersClient;
  watcher: Watcher;
}

/** The settings of the last configure; before any, the environment's (read at first use). */
let current: Settings | undefined;
let api: Api | undefined;

/** The subset of the host's config object this provider reads. */
export interface ConfigureRequest {
  config: { get(key: string): string | undefined };
}

/**
 * Reads stack config (`gameservers:apiKey`, `gameservers:apiUrl`, `gameservers:consoleApiUrl`,
 * `gameservers:pollIntervalMs`, `gameservers:requestTimeoutMs`), falling back to the SDK's
 * environment variables. Credentials arrive here, never through the serialized provider.
 */
export async function configure(req: ConfigureRequest): Promise<void> {
  const next = readSettings((key) => req.config.get(`gameservers:${key}`));
  // The host calls configure once per provider text: unchanged settings keep the client and the
  // watcher (and every wait in flight on them). Changed ones get new ones; the old client is
  // never closed under work that may still use it (its idle sockets time out by themselves).
  if (current && isDeepStrictEqual(next, current)) return;
  current = next;
  api = undefined;
}

/** The settings of the last configure. */
export function settings(): Settings {
  current ??= readSettings(() => undefined);
  return current;
}

/** The client and the shared watcher for the current settings, made on first use. */
export function connect(): Api {
  if (api) return api;
  const configured = settings();
  const { apiKey } = configured;
  if (!apiKey) {
    throw new Error(
      "No API key for the game servers API: run `pulumi config set --secret gameservers:apiKey <key>` (or set GAMESERVERS_API_KEY)",
    );
  }
  const client = clientFor({ ...configured, apiKey });
  api = { client, watcher: new Watcher(client, configured.pollIntervalMs) };
  return api;
}

/** How often a long fleet step or wait prints how far it got. @default 5000 ms */
export const PROGRESS_EVERY_MS = 5_000;

/** Progress lines reach `pulumi up` as info lines with no resource attached: name the resource. */
export function log(label: string, message: string): void {
  console.log(`[gameservers] ${label}: ${message}`);
}

/** Per-call options of the provider: a 429 is retried until the resource's own deadline. */
export function callOptions(inputs: { readyTimeoutSeconds: number }): RequestOptions {
  return { deadline: Date.now() + inputs.readyTimeoutSeconds * 1000 };
}

/**
 * The one line that says the API refused the key (401: wrong, revoked or expired), naming where
 * the key came from and how to set it, or undefined for any other error. A refused request did
 * nothing, so nothing was created with it.
 */
export function keyRefused(error: unknown): string | undefined {
  if (!(error instanceof AuthenticationError)) return undefined;
  const source = settings().apiKeySource;
  const how =
    source === "GAMESERVERS_API_KEY"
      ? "set the right key in GAMESERVERS_API_KEY (or `pulumi config set --secret gameservers:apiKey <key>`, which comes first)"
      : "set the right key with `pulumi config set --secret gameservers:apiKey <key>`";
  return `the API refused the API key from ${source ?? "gameservers:apiKey"} (${error.message}); nothing was done with it: ${how}`;
}

/** A request refused for its key, said in one line that names the key's source. */
export class KeyRefusedError extends Error {
  constructor(
    /** The line without the resource's label. */
    readonly line: string,
    label: string,
  ) {
    super(`${label}: ${line}`);
  }
}

/** The error as a {@link KeyRefusedError} when the API refused the key, else unchanged. */
export function explainKeyRefused(error: unknown, label: string): unknown {
  if (error instanceof KeyRefusedError) return error;
  const line = keyRefused(error);
  return line === undefined ? error : new KeyRefusedError(line, label);
}
