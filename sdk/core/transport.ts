import { Agent, type Dispatcher } from "undici";
import type { z } from "zod";
import { Admission } from "../internal/admission.js";
import type { RateLimitRoom } from "../internal/rate-window.js";
import { connectionRetryDecision, isIdempotent, MAX_RATE_LIMIT_WAIT_MS, retryDecision, wasNeverSent } from "../internal/retry.js";
import { packageVersion } from "../internal/version.js";
import { type Clock, sleepOrAbort } from "./clock.js";
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

/** The request loop: auth, timeouts, retries, error mapping and response validation. */
export class Transport {
  readonly #apiKey: string;
  readonly #config: Omit<TransportConfig, "apiKey">;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #userAgent = `pulumi-gameservers-sdk/${packageVersion()} node/${process.versions.node}`;
  readonly #admission: Admission;
  #apiClockOffsetMs: number | undefined;

  constructor(config: TransportConfig) {
    const { apiKey, ...rest } = config;
    this.#apiKey = apiKey;
    this.#config = rest;
    this.#ownsDispatcher = config.dispatcher === undefined;
    // One keep-alive pool per origin; a provider process shares it across every resource.
    this.#dispatcher = config.dispatcher ?? new Agent({ keepAliveTimeout: 10_000, connections: 32 });
    this.#admission = new Admission(config.clock);
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
    return this.#admission.room();
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
    const ticket = options.bulk === true ? this.#admission.ticket() : undefined;
    for (;;) {
      await this.#admission.admit(deadline, options.signal, ticket);
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
          await sleepOrAbort(clock, retry.delayMs, options.signal);
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
        this.#admission.rateLimited(now + retry.delayMs);
        continue;
      }
      if (retry.retry) {
        attempt++;
        await sleepOrAbort(clock, retry.delayMs, options.signal);
        continue;
      }
      if (!isIdempotent(spec.method) && status >= 500) throw new AmbiguousRequestError(spec.method, spec.path, error);
      throw error;
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
      "user-agent": this.#userAgent,
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
      this.#admission.observe(res.statusCode, received);
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
