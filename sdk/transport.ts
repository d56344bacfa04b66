import { Agent, type Dispatcher } from "undici";
import type { z } from "zod";
import {
  AmbiguousRequestError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
  GameServersError,
  InvalidResponseError,
  makeAPIError,
  type ResponseHeaders,
} from "./errors.js";
import { type RateLimitRoom, RateWindow } from "./rate-window.js";
import { connectionRetryDecision, isIdempotent, MAX_RATE_LIMIT_WAIT_MS, retryDecision, wasNeverSent } from "./retry.js";

/** Per-call options; each overrides the client's setting for this call only. */
export interface RequestOptions {
  /** Per-attempt timeout in ms. @default the client's `timeout` */
  timeout?: number;
  /** Retries after the first attempt. @default the client's `maxRetries` */
  maxRetries?: number;
  /** Aborts the call, including waits between retries. */
  signal?: AbortSignal;
  /**
   * Until when (a Date or epoch ms) the call may retry: no retry is sent whose wait (backoff or
   * `Retry-After`) would reach it. A rate-limited call (429: nothing was processed) retries until
   * then beyond `maxRetries`; every other retry also counts against `maxRetries`. Tie it to the
   * caller's own deadline. A call the client would hold for the API's rate-limit window past this
   * moment is sent at once instead (a 429 then ends it). @default 60 s from the call
   */
  deadline?: Date | number;
  /** Extra request headers. `authorization` cannot be overridden here. */
  headers?: Record<string, string>;
  /**
   * One of many calls sent together (a fleet's creates): paced by the API's rate-limit window,
   * it leaves three tenths of each window to other calls, so a status poll is not held behind it. @default false
   */
  bulk?: boolean;
}

/** Time, injectable so waits and retries test fast without global fake timers. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/** Which of the two documented hosts a route lives on. */
export type ApiBase = "api" | "console";

/** One call, as a resource method describes it. */
export interface RequestSpec<S extends z.ZodType> {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  base: ApiBase;
  /** Path with every parameter already encoded by {@link path}. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Schema of the success body. */
  schema: S;
  /** The SDK method, for error messages (`gameServers.get`). */
  what: string;
  /** The scope this endpoint requires, named in an insufficient_scope error. */
  requiredScope?: string;
}

export interface TransportConfig {
  apiKey: string;
  baseUrl: URL;
  consoleBaseUrl: URL;
  timeout: number;
  maxRetries: number;
  dispatcher: Dispatcher | undefined;
  clock: Clock;
}

/** Builds a path from a template, percent-encoding every parameter: the one place that does. */
export function path(strings: TemplateStringsArray, ...params: string[]): string {
  return strings.reduce((out, s, i) => out + s + (i < params.length ? encodeURIComponent(params[i] as string) : ""), "");
}

const USER_AGENT = `pulumi-gameservers-sdk/0.1.0 node/${process.versions.node}`;

/** The request loop: auth, timeouts, retries, error mapping and response validation. */
export class Transport {
  readonly #apiKey: string;
  readonly #config: Omit<TransportConfig, "apiKey">;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  /**
   * Epoch ms before which no request is sent: set by a 429's Retry-After, shared by every call
   * of this client, so a provider's hundreds of requests back off together instead of each
   * spending its own retries inside the same rate-limit window.
   */
  #pausedUntil = 0;
  /** The API's rate-limit window as its responses describe it: requests beyond it wait for its reset. */
  readonly #window = new RateWindow();
  /**
   * Bulk requests waiting for the window's room, in the order their calls came: a request
   * refused with a 429 goes again with its call's ticket, ahead of those that came after it.
   */
  readonly #bulkLine: BulkWaiter[] = [];
  /** Whether a loop hands the window's room to the bulk line (one at a time). */
  #bulkServing = false;
  #bulkTickets = 0;
  #apiClockOffsetMs: number | undefined;

  constructor(config: TransportConfig) {
    const { apiKey, ...rest } = config;
    this.#apiKey = apiKey;
    this.#config = rest;
    this.#ownsDispatcher = config.dispatcher === undefined;
    // One keep-alive pool per origin; a provider process shares it across every resource.
    this.#dispatcher = config.dispatcher ?? new Agent({ keepAliveTimeout: 10_000, connections: 32 });
  }

  get clock(): Clock {
    return this.#config.clock;
  }

  /**
   * The API's clock minus ours, in ms, from the `Date` header of the latest response (whole
   * seconds, so within about -1000..+latency of the truth); undefined before any response.
   */
  get apiClockOffsetMs(): number | undefined {
    return this.#apiClockOffsetMs;
  }

  /** What is left of the API's rate-limit window as this client sees it (see RateWindow.room). */
  get rateLimitRoom(): RateLimitRoom | undefined {
    return this.#window.room(this.#config.clock.now());
  }

  get consoleBaseUrl(): URL {
    return this.#config.consoleBaseUrl;
  }

  /** The dispatcher every request goes through; the console websocket connects through it too. */
  get dispatcher(): Dispatcher {
    return this.#dispatcher;
  }

  /** Closes the pool this transport created (a dispatcher passed in is left to its owner). */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  async request<S extends z.ZodType>(spec: RequestSpec<S>, options: RequestOptions = {}): Promise<z.infer<S>> {
    const maxRetries = options.maxRetries ?? this.#config.maxRetries;
    const clock = this.#config.clock;
    const deadline = options.deadline === undefined ? clock.now() + MAX_RATE_LIMIT_WAIT_MS : Number(options.deadline);
    // Retries counted against maxRetries (see retryDecision: 429s are not, they end at the deadline).
    let attempt = 0;
    const ticket = options.bulk === true ? ++this.#bulkTickets : undefined;
    for (;;) {
      await this.#admit(deadline, options.signal, ticket);
      let outcome: Outcome;
      try {
        outcome = await this.#attempt(spec, options);
      } catch (error) {
        if (options.signal?.aborted) throw new APIUserAbortError(undefined, { cause: error });
        // A closed client will never answer again: not a connection problem worth retrying.
        if ((error as { code?: unknown }).code === "UND_ERR_DESTROYED") {
          throw new GameServersError(`${spec.what}: this client was closed`, { cause: error });
        }
        const failure = error instanceof APIConnectionError ? error : new APIConnectionError(describe(error), { cause: error });
        const neverSent = wasNeverSent(error);
        const retry = connectionRetryDecision({ method: spec.method, neverSent, attempt, maxRetries, now: clock.now(), deadline });
        if (retry.retry) {
          attempt++;
          await this.#sleep(retry.delayMs, options.signal);
          continue;
        }
        if (!isIdempotent(spec.method) && !neverSent) throw new AmbiguousRequestError(spec.method, spec.path, failure);
        throw failure;
      }
      const { status, headers, body } = outcome;
      if (status >= 200 && status < 300) {
        const parsed = spec.schema.safeParse(body);
        if (!parsed.success) throw new InvalidResponseError(spec.what, parsed.error.issues, headers["x-request-id"]);
        return parsed.data;
      }
      const error = makeAPIError(status, body, headers, spec.requiredScope);
      const now = clock.now();
      const retry = retryDecision({ method: spec.method, status, headers, attempt, maxRetries, now, deadline });
      if (retry.retry && retry.rateLimited) {
        // A paced client waits for the window's reset in #admit; any other pauses every call.
        if (!this.#window.paced) this.#pausedUntil = Math.max(this.#pausedUntil, now + retry.delayMs);
        continue;
      }
      if (retry.retry) {
        attempt++;
        await this.#sleep(retry.delayMs, options.signal);
        continue;
      }
      if (!isIdempotent(spec.method) && status >= 500) throw new AmbiguousRequestError(spec.method, spec.path, error);
      throw error;
    }
  }

  /**
   * Holds a request while the client is paused by a 429 (spreading the restart over a short
   * window), then until the API's rate-limit window has room for it. A wait that would pass the
   * call's deadline is not taken: the request goes, and a 429 ends the call.
   */
  async #admit(deadline: number, signal: AbortSignal | undefined, ticket: number | undefined): Promise<void> {
    const clock = this.#config.clock;
    const pause = this.#pausedUntil - clock.now();
    if (pause > 0) await this.#sleep(pause + Math.random() * Math.min(pause, 1_000), signal);
    if (ticket === undefined) return this.#room(deadline, signal);
    // Bulk requests take the window's room in the order their calls came (one waits at a time),
    // so the first of many creates are sent first; other requests never wait behind them.
    return new Promise<void>((resolve, reject) => {
      const line = this.#bulkLine;
      let at = line.length;
      while (at > 0 && line[at - 1]!.ticket > ticket) at--;
      line.splice(at, 0, { ticket, deadline, signal, resolve, reject });
      if (!this.#bulkServing) void this.#serveBulk();
    });
  }

  async #room(deadline: number, signal: AbortSignal | undefined): Promise<void> {
    const clock = this.#config.clock;
    for (;;) {
      const now = clock.now();
      const wait = this.#window.take(now);
      if (wait <= 0 || now + wait >= deadline) return;
      await this.#sleep(wait, signal);
    }
  }

  /**
   * Hands the window's room to the head of the bulk line until it is empty. The head is read
   * again after every wait: a refused request that went back to the line while the others
   * waited for the window's reset is sent first.
   */
  async #serveBulk(): Promise<void> {
    const clock = this.#config.clock;
    const line = this.#bulkLine;
    this.#bulkServing = true;
    try {
      for (let head = line[0]; head; head = line[0]) {
        if (head.signal?.aborted) {
          line.shift();
          head.reject(new APIUserAbortError(undefined, { cause: head.signal.reason }));
          continue;
        }
        const now = clock.now();
        const wait = this.#window.take(now, true);
        if (wait <= 0 || now + wait >= head.deadline) {
          line.shift();
          head.resolve();
          continue;
        }
        // The head's abort ends its wait; it is then taken off the line at the next turn.
        await clock.sleep(wait, head.signal).catch(() => undefined);
      }
    } finally {
      this.#bulkServing = false;
    }
  }

  async #sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.#config.clock.sleep(ms, signal);
    } catch (error) {
      throw new APIUserAbortError(undefined, { cause: error });
    }
  }

  async #attempt(spec: RequestSpec<z.ZodType>, options: RequestOptions): Promise<Outcome> {
    const base = spec.base === "api" ? this.#config.baseUrl : this.#config.consoleBaseUrl;
    const timeoutMs = options.timeout ?? this.#config.timeout;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
    const headers: Record<string, string> = {
      accept: "application/json",
      "user-agent": USER_AGENT,
      ...options.headers,
      authorization: `Bearer ${this.#apiKey}`,
    };
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers["content-type"] = "application/json";
    }
    try {
      const res = await this.#dispatcher.request({
        origin: base.origin,
        path: joinPath(base.pathname, spec.path) + queryString(spec.query),
        method: spec.method,
        headers,
        body,
        signal,
      });
      const text = await res.body.text();
      const received = flattenHeaders(res.headers);
      this.#window.observe(res.statusCode, received, this.#config.clock.now());
      const apiDate = received.date ? Date.parse(received.date) : Number.NaN;
      if (!Number.isNaN(apiDate)) this.#apiClockOffsetMs = apiDate - this.#config.clock.now();
      return { status: res.statusCode, headers: received, body: parseJson(text) };
    } catch (error) {
      if (timeout.signal.aborted && !options.signal?.aborted) {
        throw new APIConnectionTimeoutError(`${spec.method} ${spec.path} timed out after ${timeoutMs} ms`, { cause: error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A bulk request waiting in the line for the window's room. */
interface BulkWaiter {
  /** Its call's place: given once per call, kept by its retries. */
  ticket: number;
  deadline: number;
  signal: AbortSignal | undefined;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Outcome {
  status: number;
  headers: ResponseHeaders;
  body: unknown;
}

function joinPath(basePath: string, path: string): string {
  return basePath.replace(/\/+$/, "") + path;
}

function queryString(query: RequestSpec<z.ZodType>["query"]): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const s = params.toString();
  return s ? `?${s}` : "";
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): ResponseHeaders {
  const out: ResponseHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `Connection error: ${error.message}${typeof code === "string" ? ` (${code})` : ""}`;
  }
  return "Connection error";
}
