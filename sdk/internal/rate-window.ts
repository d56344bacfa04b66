/**
 * Client-side pacing from the API's rate-limit headers, so a client with hundreds of requests
 * to send spends the window's allowance and then waits for the window to reset, instead of
 * sending them all and having most refused. The headers (see the emulator's README):
 * `x-ratelimit-limit` (requests per window), `x-ratelimit-remaining` (left in the current
 * window) and `x-ratelimit-reset-ms` (milliseconds until it resets). An API that sends none of
 * them is not paced: 429s and `Retry-After` still apply.
 */

/** Sent this long after the window's reset, for the clocks' rounding. */
const RESET_MARGIN_MS = 5;
/**
 * The part of each window a bulk request (one of many sent together) leaves to the others, so
 * the polls that tell when servers run are not held a whole window behind a fleet's creates. @default three tenths
 */
export const BULK_LEAVES = 0.3;
/** How often a bulk request asks again while a new window's first answer is awaited. */
const PROBE_WAIT_MS = 5;
/** How long bulk requests await a new window's first answer at most (it may never come). */
const PROBE_FOR_MS = 250;

/** What is left of the API's rate-limit window: `remaining` requests for the next `resetInMs` ms. */
export interface RateLimitRoom {
  remaining: number;
  resetInMs: number;
}

/**
 * The API's rate-limit window as this client sees it. Estimates err late: a response's reset is
 * counted from when it arrived, so a window is never thought to reset before it does, and what
 * remains of a window only ever goes down until it resets.
 */
export class RateWindow {
  #known = false;
  #limit = 0;
  #remaining = 0;
  /** When the current window resets (epoch ms); a guess until an answer from that window tells. */
  #resetAt = 0;
  #guessed = false;
  /** When this client last moved to a new window by itself. */
  #windowStartedAt = 0;
  /** The longest `x-ratelimit-reset-ms` seen: the window's length, as far as this client knows. */
  #span = 0;
  /**
   * Requests sent while the window was not known and not answered yet: the API counts them in
   * its window, but the first answer's `x-ratelimit-remaining` may not (they are on their way).
   */
  #blind = 0;

  /** Whether the API describes its window, so requests are paced by it. */
  get paced(): boolean {
    return this.#known;
  }

  /**
   * Takes one request's place in the window when there is one (returns 0: send it now), or
   * returns how long to wait before asking again. A `bulk` request takes a place only while more
   * than {@link BULK_LEAVES} of the window remains, and in a new window only once an answer of
   * that window has said what remains (the first request of the window asks), or
   * {@link PROBE_FOR_MS} after it began when no answer says.
   */
  take(now: number, bulk = false): number {
    if (!this.#known) {
      this.#blind++;
      return 0;
    }
    // A reset further away than a whole window means the clock stepped back: start afresh.
    if (now >= this.#resetAt || this.#resetAt - now > this.#span + RESET_MARGIN_MS) {
      this.#remaining = this.#limit;
      // Until an answer of the new window tells its reset, a whole window from now. Requests
      // that get no answer (timeouts, dropped connections) then delay nobody past it.
      this.#resetAt = now + this.#span;
      this.#guessed = true;
      this.#windowStartedAt = now;
    }
    // Others may have spent part of a new window already: bulk requests wait for the first answer
    // of the window to say what is left, instead of taking the whole window on a guess.
    if (bulk && this.#guessed && this.#remaining < this.#limit && now - this.#windowStartedAt < PROBE_FOR_MS) return PROBE_WAIT_MS;
    const leave = bulk ? Math.floor(this.#limit * BULK_LEAVES) : 0;
    if (this.#remaining > leave) {
      this.#remaining--;
      return 0;
    }
    return this.#resetAt - now + RESET_MARGIN_MS;
  }

  /**
   * What this client thinks is left of the API's window: requests, and ms until it resets; undefined
   * when the API describes none (or the window has reset since: all of it is left).
   */
  room(now: number): RateLimitRoom | undefined {
    if (!this.#known || now >= this.#resetAt) return undefined;
    return { remaining: this.#remaining, resetInMs: this.#resetAt - now };
  }

  /**
   * Learns the window from a response (header names in lowercase). A success without the
   * headers stops the pacing (the API no longer limits); an error without them (a gateway's
   * 502, a 401) says nothing about the window.
   */
  observe(status: number, headers: Record<string, string>, now: number): void {
    const limit = count(headers["x-ratelimit-limit"]);
    const remaining = count(headers["x-ratelimit-remaining"]);
    const resetMs = count(headers["x-ratelimit-reset-ms"]);
    // The earliest requests answer first, as a rule: this answer is one of those sent blind.
    if (!this.#known && this.#blind > 0) this.#blind--;
    if (limit === undefined || remaining === undefined || resetMs === undefined || limit === 0) {
      if (status >= 200 && status < 300 && this.#known) {
        this.#known = false;
        this.#blind = 0;
      }
      return;
    }
    const resetAt = now + resetMs;
    this.#limit = limit;
    this.#span = Math.max(this.#span, resetMs);
    if (!this.#known) {
      this.#known = true;
      // Under load the API may count the blind ones after this answer: they are not left. Those
      // that never get an answer (timeouts) err late, for this window only. (The flaky fleet test:
      // 32 creates sent blind, then 34 more on this answer's word, and the late blind ones refused.)
      this.#remaining = status === 429 ? 0 : Math.max(0, remaining - this.#blind);
      this.#blind = 0;
      this.#resetAt = resetAt;
      this.#guessed = false;
      return;
    }
    // A late answer from a window this client already left says nothing about the current one.
    if (resetAt <= this.#windowStartedAt + RESET_MARGIN_MS) return;
    // Requests counted here are counted by the API too, or still on their way to it.
    this.#remaining = status === 429 ? 0 : Math.min(this.#remaining, remaining);
    this.#resetAt = this.#guessed ? resetAt : Math.max(this.#resetAt, resetAt);
    this.#guessed = false;
  }
}

function count(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}
