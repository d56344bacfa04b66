// First: on a Node.js too old for undici, say which Node.js is needed before undici loads and fails.
import "../internal/node-version.js";
import type { Dispatcher } from "undici";
import { z } from "zod";
import type { RateLimitRoom } from "../internal/rate-window.js";
import { isLoopbackHost } from "../internal/url.js";
import { Console, Logs } from "../resources/console.js";
import { GameServers } from "../resources/game-servers.js";
import { type Clock, systemClock } from "./clock.js";
import { GameServersError } from "./errors.js";
import { Transport } from "./transport.js";

/** The game servers API host the seed documents show. */
export const DEFAULT_BASE_URL = "https://api.sweathost.com";
/** The console and log API host the seed documents show. */
export const DEFAULT_CONSOLE_BASE_URL = "https://api.heo-systems.net";

/** Options of {@link GameServersClient}; each falls back to its environment variable, then its default. */
export interface ClientOptions {
  /** Bearer API key. @default process.env.GAMESERVERS_API_KEY */
  apiKey?: string;
  /** Game servers API base URL. @default process.env.GAMESERVERS_API_URL ?? "https://api.sweathost.com" */
  baseUrl?: string;
  /**
   * Console and log API base URL. @default process.env.GAMESERVERS_CONSOLE_API_URL, else
   * `baseUrl` when one was given (option or env), else "https://api.heo-systems.net"
   */
  consoleBaseUrl?: string;
  /** Per-attempt request timeout in ms. @default 60000 */
  timeout?: number;
  /** Retries after the first attempt, for retryable failures. @default 2 */
  maxRetries?: number;
  /** The undici dispatcher to send through. @default a keep-alive Agent owned by this client */
  dispatcher?: Dispatcher;
  /** Time source for waits and retries. @default the system clock */
  clock?: Clock;
}

const Options = z.object({
  timeout: z.int().min(1).max(600_000).default(60_000),
  maxRetries: z.int().min(0).max(10).default(2),
});

/** Typed client of the hosting API: game servers, console and logs. */
export class GameServersClient {
  readonly gameServers: GameServers;
  readonly console: Console;
  readonly logs: Logs;
  readonly baseUrl: string;
  readonly consoleBaseUrl: string;
  readonly #transport: Transport;

  constructor(options: ClientOptions = {}) {
    const apiKey = options.apiKey ?? env("GAMESERVERS_API_KEY");
    if (!apiKey) {
      throw new GameServersError("The apiKey option is missing: pass { apiKey } or set GAMESERVERS_API_KEY");
    }
    const explicitBase = options.baseUrl ?? env("GAMESERVERS_API_URL");
    const baseUrl = checkUrl("baseUrl", explicitBase ?? DEFAULT_BASE_URL);
    const consoleBaseUrl = checkUrl(
      "consoleBaseUrl",
      options.consoleBaseUrl ?? env("GAMESERVERS_CONSOLE_API_URL") ?? explicitBase ?? DEFAULT_CONSOLE_BASE_URL,
    );
    const parsed = Options.safeParse({ timeout: options.timeout, maxRetries: options.maxRetries });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new GameServersError(`Invalid client option ${String(issue?.path[0])}: ${issue?.message}`);
    }
    this.baseUrl = baseUrl.href.replace(/\/$/, "");
    this.consoleBaseUrl = consoleBaseUrl.href.replace(/\/$/, "");
    this.#transport = new Transport({
      apiKey,
      baseUrl,
      consoleBaseUrl,
      timeout: parsed.data.timeout,
      maxRetries: parsed.data.maxRetries,
      dispatcher: options.dispatcher,
      clock: options.clock ?? systemClock,
    });
    this.gameServers = new GameServers(this.#transport);
    this.console = new Console(this.#transport);
    this.logs = new Logs(this.#transport);
  }

  /**
   * The API's clock minus this machine's, in ms, estimated from the `Date` header of the latest
   * response (one-second resolution); undefined before the first response.
   */
  get apiClockOffsetMs(): number | undefined {
    return this.#transport.apiClockOffsetMs;
  }

  /**
   * What is left of the API's rate-limit window as this client sees it: `remaining` requests for
   * the next `resetInMs` ms; undefined when the API describes no window, or it has just reset.
   */
  get rateLimitRoom(): RateLimitRoom | undefined {
    return this.#transport.rateLimitRoom;
  }

  /** Closes the connection pool (when this client created it). */
  close(): Promise<void> {
    return this.#transport.close();
  }
}

function env(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
}

function checkUrl(option: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new GameServersError(`Invalid ${option}: ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return url;
  if (url.protocol === "http:") {
    throw new GameServersError(`Invalid ${option}: plain http:// is refused except for loopback hosts (got ${url.host}); use https://`);
  }
  throw new GameServersError(`Invalid ${option}: ${url.protocol} is not supported; use https://`);
}
