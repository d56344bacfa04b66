/**
 * Retry policy as small pure functions, so each decision has a table test.
 * Modelled on the Stainless-generated SDKs: capped exponential backoff with jitter, and the
 * server's `Retry-After` honoured when it is reasonable.
 */

/** First retry delay. @default 500 ms */
export const INITIAL_RETRY_DELAY_MS = 500;
/** Largest computed backoff delay. @default 8000 ms */
export const MAX_RETRY_DELAY_MS = 8_000;
/** A `Retry-After` longer than this is ignored in favour of our own backoff. @default 60000 ms */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * How long a call keeps retrying (429s, 5xx, connection errors) when the caller gives no
 * deadline: its default deadline, from the call. @default 60000 ms
 */
export const MAX_RATE_LIMIT_WAIT_MS = 60_000;

/**
 * How long to pause after a 429: the server's `Retry-After` (already parsed, in ms), else 1 s,
 * plus up to 25 % (at least 100 ms) of jitter so clients paused by the same window do not all
 * come back at its first millisecond.
 * @param random a number in [0, 1), injectable for tests
 */
export function rateLimitDelay(retryAfterMs: number | undefined, random: number = Math.random()): number {
  const base = retryAfterMs ?? 1_000;
  return Math.round(base + random * Math.max(100, base * 0.25));
}

/** Methods whose repetition cannot act twice (our PATCH sets absolute values, so it qualifies). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"]);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method.toUpperCase());
}

/**
 * May a response with this status be retried? 429 always: a rate-limited request was refused
 * before it was processed, whatever its method. 408, 409 and 5xx only for idempotent methods: a
 * POST answered with a 5xx may have been carried out.
 */
export function shouldRetryStatus(method: string, status: number, headers: Record<string, string> = {}): boolean {
  const hint = headers["x-should-retry"];
  if (hint === "false") return false;
  if (status === 429) return true;
  if (!isIdempotent(method)) return false;
  if (hint === "true") return true;
  return status === 408 || status === 409 || status >= 500;
}

/**
 * What a call does after a failed attempt: stop, or retry after `delayMs` (ms). `rateLimited`: a
 * 429, not counted against `maxRetries` (nothing was processed), `delayMs` being how long the
 * client pauses; any other retry counts as one of `maxRetries`.
 */
export type RetryDecision = { retry: false } | { retry: true; delayMs: number; rateLimited: boolean };

/** What {@link retryDecision} decides on: the answer, and how much of the call's budget is left. */
export interface RetryInput {
  method: string;
  status: number;
  /** Response headers, names in lowercase. */
  headers: Record<string, string>;
  /** Retries already counted against `maxRetries` (0 after the first attempt; 429s are not counted). */
  attempt: number;
  maxRetries: number;
  /** Epoch ms. */
  now: number;
  /** Epoch ms after which no retry may be sent. */
  deadline: number;
  /** A number in [0, 1) for the jitter, injectable for tests. @default Math.random() */
  random?: number;
}

const STOP: RetryDecision = { retry: false };

/**
 * Whether and when to retry after this answer. Every retry loop ends whatever the answer's
 * headers say: a retry counts against `maxRetries` (a 429 excepted: it retries until the
 * deadline, pausing at least as long as its `Retry-After`), and none is sent when its delay
 * would reach the deadline. `maxRetries: 0` turns every retry off. The delay is the answer's
 * `Retry-After` (seconds, HTTP-date or `retry-after-ms`, see {@link parseRetryAfter}) when it
 * gives one, else {@link backoffDelay} (1 s with jitter for a 429, see {@link rateLimitDelay}).
 * A 5xx's `Retry-After` counts the attempt too: an API answering 503 for hours (maintenance)
 * must end the call, not hold it.
 */
export function retryDecision(input: RetryInput): RetryDecision {
  const { method, status, headers, attempt, maxRetries, now, deadline, random } = input;
  if (maxRetries <= 0) return STOP;
  const retryAfter = parseRetryAfter(headers, now);
  if (status === 429) {
    if (headers["x-should-retry"] === "false") return STOP;
    const delayMs = rateLimitDelay(retryAfter, random);
    return now + delayMs < deadline ? { retry: true, delayMs, rateLimited: true } : STOP;
  }
  if (attempt >= maxRetries || !shouldRetryStatus(method, status, headers)) return STOP;
  const delayMs = retryAfter ?? backoffDelay(attempt + 1, random);
  return now + delayMs < deadline ? { retry: true, delayMs, rateLimited: false } : STOP;
}

/** What {@link connectionRetryDecision} decides on: a request that got no answer. */
export interface ConnectionRetryInput extends Omit<RetryInput, "status" | "headers"> {
  /** The error proves the request never reached the server (see {@link wasNeverSent}). */
  neverSent: boolean;
}

/**
 * Whether and when to retry a request that got no answer (refused, dropped, timed out): an
 * idempotent one, or one that provably was never sent, after {@link backoffDelay}, counted
 * against `maxRetries` and never past the deadline, as {@link retryDecision} does for answers.
 */
export function connectionRetryDecision(input: ConnectionRetryInput): RetryDecision {
  const { method, neverSent, attempt, maxRetries, now, deadline, random } = input;
  if (attempt >= maxRetries || !(isIdempotent(method) || neverSent)) return STOP;
  const delayMs = backoffDelay(attempt + 1, random);
  return now + delayMs < deadline ? { retry: true, delayMs, rateLimited: false } : STOP;
}

/** Connection error codes that prove the request never reached the server. */
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT", "EHOSTUNREACH", "ENETUNREACH"]);

/** Did this connection error happen before any byte of the request could reach the server? */
export function wasNeverSent(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e && typeof e === "object"; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && NOT_SENT_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * `Retry-After` (or `retry-after-ms`) in milliseconds, or undefined when absent, unparsable or
 * unreasonable (negative, or longer than {@link MAX_RETRY_AFTER_MS}).
 * @param now current time in epoch ms, for the HTTP-date form
 */
export function parseRetryAfter(headers: Record<string, string>, now: number): number | undefined {
  const ms = headers["retry-after-ms"];
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return bound(Number(ms));
  const value = headers["retry-after"]?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return bound(Number(value) * 1000);
  // Only an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT"): Date.parse also accepts "-1" as a year.
  if (!/^[A-Za-z]{3}, /.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return bound(Math.max(0, date - now));
}

function bound(ms: number): number | undefined {
  return ms >= 0 && ms <= MAX_RETRY_AFTER_MS ? ms : undefined;
}

/**
 * Backoff before retry number `retry` (1 for the first retry): 0.5 s, 1 s, 2 s, ... capped at
 * 8 s, minus up to 25 % jitter so a fleet of clients does not retry in lock-step.
 * @param random a number in [0, 1), injectable for tests
 */
export function backoffDelay(retry: number, random: number = Math.random()): number {
  const base = Math.min(INITIAL_RETRY_DELAY_MS * 2 ** Math.max(0, retry - 1), MAX_RETRY_DELAY_MS);
  return Math.round(base * (1 - 0.25 * random));
}
