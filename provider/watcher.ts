import {
  type Clock,
  type GameServer,
  type GameServerStatus,
  type GameServersClient,
  InvalidResponseError,
  isTransientError,
  NotFoundError,
  parseRetryAfter,
  RateLimitError,
  systemClock,
} from "../sdk/index.js";
import { TERMINAL_STATUSES } from "../sdk/schemas/index.js";

/** How a wait ended. */
export type WaitOutcome =
  | { kind: "running"; server: GameServer }
  | { kind: "failed"; server: GameServer }
  | { kind: "timeout"; server: GameServer | undefined; lastStatus: GameServerStatus }
  | { kind: "gone" };

export interface WaitRequest {
  /** Epoch ms after which the wait ends with `timeout`. */
  deadline: number;
  /** Called on every status change (and once with the first status seen). */
  onChange?: (server: GameServer, previous: GameServerStatus | undefined, elapsedMs: number) => void;
  /** Called when a poll fails transiently; the wait goes on. */
  onTransientError?: (error: Error) => void;
}

interface Waiter extends WaitRequest {
  id: string;
  started: number;
  last: GameServer | undefined;
  resolve: (outcome: WaitOutcome) => void;
  reject: (error: Error) => void;
}

/** Up to this many waiters are polled one `get` each; more share `list` pages. */
export const INDIVIDUAL_POLL_LIMIT = 3;

/**
 * One poller for every wait of a provider process. Each interval it asks the API once for all
 * the servers it waits on: a `get` each while there are at most three, otherwise the
 * organization's list, page by page (100 servers a request) until every waited server is seen.
 * A fleet of 64 servers in a fresh organization costs one request per interval.
 */
export class Watcher {
  readonly #client: GameServersClient;
  readonly #intervalMs: number;
  readonly #clock: Clock;
  readonly #waiters = new Set<Waiter>();
  #loop: Promise<void> | undefined;

  constructor(client: GameServersClient, intervalMs: number, clock: Clock = systemClock) {
    this.#client = client;
    this.#intervalMs = intervalMs;
    this.#clock = clock;
  }

  /** Waits until `id` is running, failed, gone, or past the deadline. */
  wait(id: string, request: WaitRequest): Promise<WaitOutcome> {
    return new Promise<WaitOutcome>((resolve, reject) => {
      this.#waiters.add({ ...request, id, started: this.#clock.now(), last: undefined, resolve, reject });
      this.#loop ??= this.#run();
    });
  }

  /**
   * Polls while anyone waits. It marks itself finished (`#loop` unset) in the same synchronous
   * step in which it finds no waiter left, so a wait added by a settled waiter's continuation
   * always starts a new loop instead of joining one that is over.
   */
  async #run(): Promise<void> {
    // The caller just read the status (the create's response): poll one interval from now, by
    // which time the other waits of a fleet being created have joined this poll.
    await this.#clock.sleep(this.#intervalMs);
    for (;;) {
      if (this.#waiters.size === 0) {
        this.#loop = undefined;
        return;
      }
      let holdOff: number | undefined;
      try {
        holdOff = await this.#poll();
      } catch (error) {
        // Not transient (bad key, lost scope): every wait fails with it.
        const failed = [...this.#waiters];
        this.#waiters.clear();
        this.#loop = undefined;
        for (const w of failed) w.reject(error as Error);
        return;
      }
      const now = this.#clock.now();
      for (const w of this.#waiters) {
        if (now >= w.deadline) this.#settle(w, { kind: "timeout", server: w.last, lastStatus: w.last?.status ?? "unknown" });
      }
      if (this.#waiters.size === 0) continue;
      const nextDeadline = Math.min(...[...this.#waiters].map((w) => w.deadline));
      // A 429's Retry-After is honoured even past a deadline: the timeout is then settled late, not early.
      await this.#clock.sleep(Math.max(holdOff ?? 0, Math.min(this.#intervalMs, nextDeadline - now), 0));
    }
  }

  /**
   * One poll. A server that could not be fetched this time (a transient error) is simply not
   * seen: its wait goes on, and the others settle as usual. Returns how long the API asked us
   * to hold off (a 429's Retry-After), if it did.
   */
  async #poll(): Promise<number | undefined> {
    const waiters = [...this.#waiters];
    const seen = new Map<string, GameServer | "gone">();
    const failures: Error[] = [];
    const fetchInto = async (id: string) => {
      try {
        seen.set(id, await this.#client.gameServers.get(id, { maxRetries: 0 }));
      } catch (error) {
        if (error instanceof NotFoundError) seen.set(id, "gone");
        else if (pollMayRecover(error)) failures.push(error as Error);
        else throw error;
      }
    };
    if (waiters.length <= INDIVIDUAL_POLL_LIMIT) {
      await Promise.all(waiters.map((w) => fetchInto(w.id)));
    } else {
      const wanted = new Set(waiters.map((w) => w.id));
      try {
        for await (const page of this.#client.gameServers.list({ pageSize: 100 }, { maxRetries: 0 }).pages()) {
          for (const server of page.items) if (wanted.delete(server.id)) seen.set(server.id, server);
          if (wanted.size === 0) break;
        }
        // Not listed (deleted meanwhile?): ask for each directly.
        await Promise.all([...wanted].map(fetchInto));
      } catch (error) {
        if (!pollMayRecover(error)) throw error;
        failures.push(error as Error);
      }
    }
    const now = this.#clock.now();
    for (const w of waiters) {
      const server = seen.get(w.id);
      if (server === undefined) {
        if (failures[0]) w.onTransientError?.(failures[0]);
        continue;
      }
      if (server === "gone" || server.deletedAt !== null) {
        this.#settle(w, { kind: "gone" });
        continue;
      }
      const previous = w.last?.status;
      w.last = server;
      if (server.status !== previous) w.onChange?.(server, previous, now - w.started);
      if (server.status === "running") this.#settle(w, { kind: "running", server });
      else if (TERMINAL_STATUSES.includes(server.status)) this.#settle(w, { kind: "failed", server });
    }
    const retryAfters = failures
      .filter((e): e is RateLimitError => e instanceof RateLimitError)
      .map((e) => parseRetryAfter(e.headers, this.#clock.now()) ?? 1_000);
    return retryAfters.length > 0 ? Math.max(...retryAfters) : undefined;
  }

  #settle(w: Waiter, outcome: WaitOutcome): void {
    if (this.#waiters.delete(w)) w.resolve(outcome);
  }
}

/** A poll that failed this way may work next time: transient errors, and a garbled read. */
function pollMayRecover(error: unknown): boolean {
  return isTransientError(error) || error instanceof InvalidResponseError;
}
