/**
 * Client-side pacing from the API's rate-limit headers, so a client with hundreds of requests
 * to send spends the window's allowance and then waits for the window to reset, instead of
 * sending them all and having most refused. The headers (see the emulator's README):
 * `x-ratelimit-limit` (requests per window), `x-ratelimit-remaining` (left in the current
 * window) and `x-ratelimit-reset-ms` (milliseconds until it resets). An API that sends none of
 * them is not paced: 429s and `Retry-After` still apply.
 */

/** Checked again this often while every request of a new window is out and none has answered. */
export const UNKNOWN_RESET_POLL_MS = 50;
/** Sent this long after the window's reset, for the clocks' rounding. */
const RESET_MARGIN_MS = 5;
/** Two resets this close are the same window seen through different responses. */
const SAME_WINDOW_MS = 100;

export class RateWindow {
  #known = false;
  #limit = 0;
  #remaining = 0;
  /** When the current window resets (epoch ms); Infinity in a window no response has described yet. */
  #resetAt = 0;
  /** When this client last moved to a new window by itself. */
  #windowStartedAt = 0;

  /** Whether the API describes its window, so requests are paced by it. */
  get paced(): boolean {
    return this.#known;
  }

  /**
   * Takes one request's place in the window when there is one (returns 0: send it now), or
   * returns how long to wait before asking again.
   */
  take(now: number): number {
    if (!this.#known) return 0;
    if (now >= this.#resetAt) {
      this.#remaining = this.#limit;
      this.#resetAt = Number.POSITIVE_INFINITY;
      this.#windowStartedAt = now;
    }
    if (this.#remaining > 0) {
      this.#remaining--;
      return 0;
    }
    return this.#resetAt === Number.POSITIVE_INFINITY ? UNKNOWN_RESET_POLL_MS : this.#resetAt - now + RESET_MARGIN_MS;
  }

  /** Learns the window from a response's headers (lowercase names); a response without them stops the pacing. */
  observe(headers: Record<string, string>, now: number): void {
    const limit = count(headers["x-ratelimit-limit"]);
    const remaining = count(headers["x-ratelimit-remaining"]);
    const resetMs = count(headers["x-ratelimit-reset-ms"]);
    if (limit === undefined || remaining === undefined || resetMs === undefined || limit === 0) {
      this.#known = false;
      return;
    }
    const resetAt = now + resetMs;
    this.#limit = limit;
    if (!this.#known) {
      this.#known = true;
      this.#remaining = remaining;
      this.#resetAt = resetAt;
      return;
    }
    // A late answer from a window this client already left says nothing about the current one.
    if (resetAt <= this.#windowStartedAt + RESET_MARGIN_MS) return;
    if (this.#resetAt === Number.POSITIVE_INFINITY || Math.abs(resetAt - this.#resetAt) < SAME_WINDOW_MS) {
      // The requests counted here are already counted by the API, or are still on their way to it.
      this.#remaining = Math.min(this.#remaining, remaining);
      this.#resetAt = resetAt;
    } else if (resetAt > this.#resetAt) {
      // A window this client did not see start (another client of the same key began it).
      this.#remaining = remaining;
      this.#resetAt = resetAt;
    }
  }
}

function count(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}
