import { type Clock, sleepOrAbort } from "../core/clock.js";
import { APIUserAbortError } from "../core/errors.js";
import { type RateLimitRoom, RateWindow } from "./rate-window.js";

/** A bulk request waiting in the line for the window's room. */
interface BulkWaiter {
  /** Its call's place: given once per call, kept by its retries. */
  ticket: number;
  deadline: number;
  signal: AbortSignal | undefined;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * When a client's next request may go: after a 429's pause, and within the API's rate-limit
 * window, bulk requests (a fleet's creates) taking their turns in the order their calls came.
 * One per client, shared by every call, so a provider's hundreds of requests back off together
 * instead of each spending its own retries inside the same window.
 */
export class Admission {
  readonly #clock: Clock;
  /** Epoch ms before which no request is sent: set by a 429 when the API describes no window. */
  #pausedUntil = 0;
  /** The API's rate-limit window as its responses describe it: requests beyond it wait for its reset. */
  readonly #window = new RateWindow();
  /**
   * Bulk requests waiting for the window's room, in the order their calls came: a request
   * refused with a 429 goes again with its call's ticket, ahead of those that came after it.
   */
  readonly #line: BulkWaiter[] = [];
  /** Whether a loop hands the window's room to the bulk line (one at a time). */
  #serving = false;
  #tickets = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** A call's place in the bulk line, kept by all its attempts. */
  ticket(): number {
    return ++this.#tickets;
  }

  /** What is left of the API's rate-limit window as this client sees it (see {@link RateWindow.room}). */
  room(): RateLimitRoom | undefined {
    return this.#window.room(this.#clock.now());
  }

  /** Learns the window from a response's headers (names in lowercase). */
  observe(status: number, headers: Record<string, string>): void {
    this.#window.observe(status, headers, this.#clock.now());
  }

  /**
   * A 429 asked every request to wait until `until` (epoch ms). A client paced by the window
   * already waits for its reset in {@link admit}; any other pauses every call.
   */
  rateLimited(until: number): void {
    if (!this.#window.paced) this.#pausedUntil = Math.max(this.#pausedUntil, until);
  }

  /**
   * Holds a request while the client is paused by a 429 (spreading the restart over a short
   * window), then until the API's rate-limit window has room for it. A wait that would pass the
   * call's deadline is not taken: the request goes, and a 429 ends the call.
   */
  async admit(deadline: number, signal: AbortSignal | undefined, ticket: number | undefined): Promise<void> {
    const pause = this.#pausedUntil - this.#clock.now();
    if (pause > 0) await sleepOrAbort(this.#clock, pause + Math.random() * Math.min(pause, 1_000), signal);
    if (ticket === undefined) return this.#room(deadline, signal);
    // Bulk requests take the window's room in the order their calls came (one waits at a time),
    // so the first of many creates are sent first; other requests never wait behind them.
    return new Promise<void>((resolve, reject) => {
      const line = this.#line;
      let at = line.length;
      while (at > 0 && line[at - 1]!.ticket > ticket) at--;
      line.splice(at, 0, { ticket, deadline, signal, resolve, reject });
      if (!this.#serving) void this.#serveBulk();
    });
  }

  async #room(deadline: number, signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      const now = this.#clock.now();
      const wait = this.#window.take(now);
      if (wait <= 0 || now + wait >= deadline) return;
      await sleepOrAbort(this.#clock, wait, signal);
    }
  }

  /**
   * Hands the window's room to the head of the bulk line until it is empty. The head is read
   * again after every wait: a refused request that went back to the line while the others
   * waited for the window's reset is sent first.
   */
  async #serveBulk(): Promise<void> {
    const line = this.#line;
    this.#serving = true;
    try {
      for (let head = line[0]; head; head = line[0]) {
        if (head.signal?.aborted) {
          line.shift();
          head.reject(new APIUserAbortError(undefined, { cause: head.signal.reason }));
          continue;
        }
        const now = this.#clock.now();
        const wait = this.#window.take(now, true);
        if (wait <= 0 || now + wait >= head.deadline) {
          line.shift();
          head.resolve();
          continue;
        }
        // The head's abort ends its wait; it is then taken off the line at the next turn.
        await this.#clock.sleep(wait, head.signal).catch(() => undefined);
      }
    } finally {
      this.#serving = false;
    }
  }
}
