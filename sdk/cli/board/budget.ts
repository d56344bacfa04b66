import type { Dispatcher } from "undici";

/** The span a budget counts requests over. @default 1000 ms */
const WINDOW_MS = 1_000;

/**
 * At most `perSecond` requests in any one-second span (a sliding window), in the order they
 * asked: the board's share of the API's rate limit, which the user sets (`--max-rps`).
 */
export class RequestBudget {
  readonly perSecond: number;
  /** When the requests of the last second were let through (epoch ms), oldest first. */
  readonly #sent: number[] = [];
  readonly #waiting: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Requests let through since the start. */
  taken = 0;

  constructor(perSecond: number) {
    this.perSecond = perSecond;
  }

  /** Resolves when one more request fits in the last second. */
  take(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#drain();
    });
  }

  /** Lets every waiting request go (they are being aborted) and takes no more turns. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const resolve of this.#waiting.splice(0)) resolve();
  }

  #drain(): void {
    if (this.#timer) return;
    const now = Date.now();
    while (this.#sent.length && this.#sent[0]! <= now - WINDOW_MS) this.#sent.shift();
    while (this.#waiting.length && (this.#closed || this.#sent.length < this.perSecond)) {
      this.#sent.push(now);
      this.taken++;
      this.#waiting.shift()!();
    }
    if (this.#waiting.length) {
      this.#timer = setTimeout(
        () => {
          this.#timer = undefined;
          this.#drain();
        },
        this.#sent[0]! + WINDOW_MS - now + 1,
      );
    }
  }
}

/**
 * An undici interceptor that holds each HTTP request until the budget has room: every request
 * of the board's client (list pages, console tokens, commands, retries) is counted, since they
 * all go through its dispatcher. Websocket upgrades are not API requests and go at once.
 */
export function budgeted(budget: RequestBudget): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) => {
    if (options.upgrade) return dispatch(options, handler);
    void budget.take().then(() => dispatch(options, handler));
    return true;
  };
}
