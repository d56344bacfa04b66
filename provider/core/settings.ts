/**
 * The provider's settings: stack config (`gameservers:*`) with the SDK's environment variables
 * as fallbacks. Read by the provider host's configure, and by a program that watches its
 * fleets' servers (see fleet/addresses.ts); importing this module reads nothing.
 */
import { GameServersClient } from "../../sdk/index.js";

/**
 * The longest interval between the shared watcher's polls when `gameservers:pollIntervalMs` is
 * not set: polls start 250 ms after a wait begins and slow down to this. One poll costs one
 * request whatever the number of waits, so a short interval is cheap; it bounds how late a
 * server that became ready is reported. @default 1000 ms
 */
export const DEFAULT_POLL_INTERVAL_MS = 1_000;

/** A client of the API with these settings (their API key is required). */
export function clientFor(settings: Settings & { apiKey: string }): GameServersClient {
  return new GameServersClient({
    apiKey: settings.apiKey,
    baseUrl: settings.apiUrl,
    consoleBaseUrl: settings.consoleApiUrl,
    timeout: settings.requestTimeoutMs,
  });
}

export interface Settings {
  apiKey: string | undefined;
  /** Where the API key came from, as a user sets it: `gameservers:apiKey` or `GAMESERVERS_API_KEY`. */
  apiKeySource: "gameservers:apiKey" | "GAMESERVERS_API_KEY" | undefined;
  apiUrl: string | undefined;
  consoleApiUrl: string | undefined;
  pollIntervalMs: number;
  /** Per-request timeout, ms (`gameservers:requestTimeoutMs`). @default the SDK's 60000 */
  requestTimeoutMs: number | undefined;
  /**
   * Overrides every resource's `whenPlayersConnected` (`gameservers:whenPlayersConnected`, then
   * `GAMESERVERS_WHEN_PLAYERS_CONNECTED`): the way out for a destroy, whose resources' settings
   * are those of the state.
   */
  whenPlayersConnected: "refuse" | "drain" | "end" | undefined;
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
  const when = pick("whenPlayersConnected", "GAMESERVERS_WHEN_PLAYERS_CONNECTED");
  if (when !== undefined && when !== "refuse" && when !== "drain" && when !== "end") {
    throw new Error(
      `gameservers:whenPlayersConnected (or GAMESERVERS_WHEN_PLAYERS_CONNECTED) must be refuse, drain or end, got ${JSON.stringify(when)}`,
    );
  }
  const fromConfig = nonEmpty(get("apiKey"));
  const apiKey = pick("apiKey", "GAMESERVERS_API_KEY");
  return {
    apiKey,
    apiKeySource: fromConfig ? "gameservers:apiKey" : apiKey ? "GAMESERVERS_API_KEY" : undefined,
    apiUrl: pick("apiUrl", "GAMESERVERS_API_URL"),
    consoleApiUrl: pick("consoleApiUrl", "GAMESERVERS_CONSOLE_API_URL"),
    pollIntervalMs,
    requestTimeoutMs,
    whenPlayersConnected: when,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}
