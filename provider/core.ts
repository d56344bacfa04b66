/**
 * The provider core every resource type shares in the provider host process: settings from
 * stack config, one API client and one watcher for all waits. Each resource type's handlers
 * module delegates here (pulumi-eks style: one core, a small module per type), so a second
 * type's `configure` never disturbs the first's work in flight.
 */
import { GameServersClient, type RequestOptions } from "../sdk/index.js";
import { Watcher } from "./watcher.js";

/**
 * The longest interval between the shared watcher's polls when `gameservers:pollIntervalMs` is
 * not set: polls start 250 ms after a wait begins and slow down to this. One poll costs one
 * request whatever the number of waits, so a short interval is cheap; it bounds how late a
 * server that became ready is reported. @default 1000 ms
 */
export const DEFAULT_POLL_INTERVAL_MS = 1_000;

export interface Settings {
  apiKey: string | undefined;
  apiUrl: string | undefined;
  consoleApiUrl: string | undefined;
  pollIntervalMs: number;
  /** Per-request timeout, ms (`gameservers:requestTimeoutMs`). @default the SDK's 60000 */
  requestTimeoutMs: number | undefined;
}

interface Api {
  client: GameServersClient;
  watcher: Watcher;
}

let current: Settings = readSettings(() => undefined);
let api: Api | undefined;

/** The subset of the host's config object this provider reads. */
export interface ConfigureRequest {
  config: { get(key: string): string | undefined };
}

/**
 * Reads stack config (`gameservers:apiKey`, `gameservers:apiUrl`, `gameservers:consoleApiUrl`,
 * `gameservers:pollIntervalMs`), falling back to the SDK's environment variables. Credentials
 * arrive here, never through the serialized provider.
 */
export async function configure(req: ConfigureRequest): Promise<void> {
  const next = readSettings((key) => req.config.get(`gameservers:${key}`));
  // The host calls configure once per provider text: unchanged settings keep the client and the
  // watcher (and every wait in flight on them). Changed ones get new ones; the old client is
  // never closed under work that may still use it (its idle sockets time out by themselves).
  if (JSON.stringify(next) === JSON.stringify(current)) return;
  current = next;
  api = undefined;
}

/** The provider's settings from a config reader (keys without the `gameservers:` namespace), then the environment. */
export function readSettings(get: (key: string) => string | undefined): Settings {
  const pick = (key: string, envName: string) => nonEmpty(get(key)) ?? nonEmpty(process.env[envName]);
  const interval = nonEmpty(get("pollIntervalMs")) ?? nonEmpty(process.env.GAMESERVERS_POLL_INTERVAL_MS);
  const pollIntervalMs = interval === undefined ? DEFAULT_POLL_INTERVAL_MS : Number(interval);
  if (!Number.isInteger(pollIntervalMs) || pollIntervalMs < 1) {
    throw new Error(`gameservers:pollIntervalMs must be a whole number of milliseconds, got ${JSON.stringify(interval)}`);
  }
  const timeout = nonEmpty(get("requestTimeoutMs"));
  const requestTimeoutMs = timeout === undefined ? undefined : Number(timeout);
  if (requestTimeoutMs !== undefined && (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs < 1)) {
    throw new Error(`gameservers:requestTimeoutMs must be a whole number of milliseconds, got ${JSON.stringify(timeout)}`);
  }
  return {
    apiKey: pick("apiKey", "GAMESERVERS_API_KEY"),
    apiUrl: pick("apiUrl", "GAMESERVERS_API_URL"),
    consoleApiUrl: pick("consoleApiUrl", "GAMESERVERS_CONSOLE_API_URL"),
    pollIntervalMs,
    requestTimeoutMs,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

/** The settings of the last configure. */
export function settings(): Settings {
  return current;
}

/** The client and the shared watcher for the current settings, made on first use. */
export function connect(): Api {
  if (api) return api;
  const settings = current;
  if (!settings.apiKey) {
    throw new Error(
      "No API key for the game servers API: run `pulumi config set --secret gameservers:apiKey <key>` (or set GAMESERVERS_API_KEY)",
    );
  }
  const client = new GameServersClient({
    apiKey: settings.apiKey,
    baseUrl: settings.apiUrl,
    consoleBaseUrl: settings.consoleApiUrl,
    timeout: settings.requestTimeoutMs,
  });
  api = { client, watcher: new Watcher(client, settings.pollIntervalMs) };
  return api;
}

/** Progress lines reach `pulumi up` as info lines with no resource attached: name the resource. */
export function log(label: string, message: string): void {
  console.log(`[gameservers] ${label}: ${message}`);
}

/** Per-call options of the provider: a 429 is retried until the resource's own deadline. */
export function callOptions(inputs: { readyTimeoutSeconds: number }): RequestOptions {
  return { deadline: Date.now() + inputs.readyTimeoutSeconds * 1000 };
}
