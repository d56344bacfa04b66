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

/** How long a 429 keeps a call retrying when the caller gives no deadline. @default 60000 ms */
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
