/** The one poller of a process (the provider host, or a program watching its fleets' servers). */
import {
  APIError,
  type Clock,
  type GameServer,
  type GameServerStatus,
  type GameServersClient,
  RateLimitError,
  type RequestOptions,
  systemClock,
} from "../../sdk/index.js";
import { parseRetryAfter } from "../../sdk/internal/index.js";
import { type Seen, ServerReads } from "./server-reads.js";
import { pollMayRecover, settledBy, type WaitOutcome } from "./wait-outcome.js";

export { settledBy, type WaitOutcome } from "./wait-outcome.js";

export interface WaitRequest {
  /** Epoch ms after which the wait ends with `timeout`. */
  deadline: number;
  /**
   * The server as last seen (a create's response): its `createdAt` bounds the provisioning
   * events that concern it. Without it, the first poll reads the server itself.
   */
  server?: GameServer;
  /** Called on every status change (and once with the first status seen). */
  onChange?: (server: GameServer, previous: GameServerStatus | undefined, elapsedMs: number) => void;
  /** Called when a poll fails transiently; the wait goes on. */
  onTransientError?: (error: Error) => void;
  /** Ends the wait early: it rejects with the signal's reason and is polled for no more. */
  signal?: AbortSignal;
}

interface Waiter extends WaitRequest {
  id: string;
  started: number;
  last: GameServer | undefined;
  /** Epoch ms (API clock) from which provisioning events may concern this server. */
  since: number;
  /** A provisioning event (or nothing yet known) says: read this server now. */
  due: boolean;
  /** Local epoch ms of the last time this server itself was read. */
  readAt: number;
  resolve: (outcome: WaitOutcome) => void;
  reject: (error: Error) => void;
}

/** The first poll comes this soon after a wait starts; later ones grow towards the interval. @default 250 ms */
export const FIRST_POLL_MS = 250;
/** Polls keep the first pace for this long after the newest wait joined. @default 4000 ms */
const BRISK_MS = 4_000;
/**
 * While servers are turning up (a poll settled some waits and others remain), the next poll comes
 * this soon: servers created together become ready together, and the last of them ends the wait.
 */
const BURST_MS = 50;
/** Bursts last this long at most while polls keep ending waits; then the usual pace resumes. */
const BURST_FOR_MS = 1_000;
/** Then each poll's interval is the previous one's times this, up to the configured interval. */
const POLL_GROWTH = 1.1;
/**
 * A waited server is read at least this often even without an event, so a missed event, an
 * out-of-band delete or an API without the events endpoint never stalls a wait. @default 5000 ms
 */
export const RECHECK_MS = 5_000;

/**
 * One poller for every wait of a provider process. Each poll asks the API one question for all
 * of them, whatever their number and the organization's size: which servers finished or failed
 * provisioning since we last asked (`GET /v1/game-servers/events?since=`). Only the servers an
 * event names (and each waited server every {@link RECHECK_MS}) are then read, to confirm their
 * state before a wait settles: one `get` each for up to three, otherwise the newest pages of the
 * list (servers are listed oldest first, so new ones are on the last pages). Polls come every
 * {@link FIRST_POLL_MS} for the first seconds after a wait begins, then slow down towards `intervalMs`;
 * after a poll that ended some waits while others remain, the next comes {@link BURST_MS} later
 * (for at most {@link BURST_FOR_MS} of such polls in a row). Under an API rate limit, polls are
 * spaced so they spend what is left of its window evenly until it resets.
 */
export class Watcher {
  readonly #client: GameServersClient;
  readonly #intervalMs: number;
  /** When the current streak of polls that ended waits began. */
  #burstSince: number | undefined;
  readonly #clock: Clock;
  readonly #waiters = new Set<Waiter>();
  #loop: Promise<void> | undefined;
  readonly #firstDelay: number;
  #nextDelay: number;
  /** Local epoch ms when the newest wait joined. */
  #joinedAt = 0;
  /** False once the API answered that it has no events endpoint: then every poll reads. */
  #events = true;
  /** Requests the latest poll sent. */
  #pollCost = 0;
  readonly #reads: ServerReads;

  /** @param intervalMs the longest time between polls */
  constructor(client: GameServersClient, intervalMs: number, clock: Clock = systemClock) {
    this.#client = client;
    this.#intervalMs = intervalMs;
    this.#clock = clock;
    this.#reads = new ServerReads(client);
    this.#firstDelay = this.#nextDelay = Math.min(FIRST_POLL_MS, intervalMs);
  }

  /** Waits until `id` is running, failed, gone, or past the deadline. */
  wait(id: string, request: WaitRequest): Promise<WaitOutcome> {
    return new Promise<WaitOutcome>((resolve, reject) => {
      const { signal } = request;
      if (signal?.aborted) return reject(signal.reason);
      const now = this.#clock.now();
      const createdAt = request.server ? Date.parse(request.server.createdAt) : Number.NaN;
      const onAbort = () => {
        if (this.#waiters.delete(waiter)) reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const waiter: Waiter = {
        ...request,
        id,
        started: now,
        last: request.server,
        // Events carry the API's timestamps; a server without a known creation time is read first.
        since: Number.isNaN(createdAt) ? now + (this.#client.apiClockOffsetMs ?? 0) - RECHECK_MS : createdAt - 1,
        due: request.server === undefined,
        readAt: request.server ? now : 0,
        resolve: (outcome) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(outcome);
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      this.#waiters.add(waiter);
      this.#nextDelay = this.#firstDelay;
      this.#joinedAt = now;
      this.#loop ??= this.#run();
    });
  }

  /**
   * Polls while anyone waits. It marks itself finished (`#loop` unset) in the same synchronous
   * step in which it finds no waiter left, so a wait added by a settled waiter's continuation
   * always starts a new loop instead of joining one that is over.
   */
  async #run(): Promise<void> {
    await this.#clock.sleep(this.#nextDelay);
    for (;;) {
      if (this.#waiters.size === 0) {
        this.#loop = undefined;
        return;
      }
      let holdOff: number | undefined;
      const before = this.#waiters.size;
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
      // A streak of polls that end waits bursts for a while; a poll that ends none ends the streak.
      const settled = this.#waiters.size < before;
      this.#burstSince = settled ? (this.#burstSince ?? now) : undefined;
      const delay = settled && now - this.#burstSince! < BURST_FOR_MS ? BURST_MS : this.#nextDelay;
      // Poll at the first pace while waits are young (a server boots in seconds), then slow down.
      if (now - this.#joinedAt >= BRISK_MS) this.#nextDelay = Math.min(this.#intervalMs, Math.round(this.#nextDelay * POLL_GROWTH));
      // A 429's Retry-After is honoured even past a deadline: the timeout is then settled late, not early.
      const paced = Math.max(delay, this.#spacing());
      await this.#clock.sleep(Math.max(holdOff ?? 0, Math.min(paced, this.#intervalMs, nextDeadline - now), 0));
    }
  }

  /**
   * Under an API rate limit, the time that spreads what is left of its window (as the client
   * sees it) over polls like the latest one until the window resets: a burst never spends the
   * window early and leaves the next poll waiting for the reset. 0 when the API has room.
   */
  #spacing(): number {
    const room = this.#client.rateLimitRoom;
    if (!room || this.#pollCost === 0) return 0;
    return room.remaining < this.#pollCost ? room.resetInMs : (room.resetInMs * this.#pollCost) / room.remaining;
  }

  /**
   * One poll: the events since the oldest wait's start mark servers due, then the due servers
   * (and any not read for {@link RECHECK_MS}) are read. A server that could not be read this time
   * (a transient error) is simply not seen: its wait goes on. Returns how long the API asked us
   * to hold off (a 429's Retry-After), if it did.
   */
  async #poll(): Promise<number | undefined> {
    const failures: Error[] = [];
    const waiters = [...this.#waiters];
    this.#pollCost = 0;
    if (this.#events) {
      const since = Math.min(...waiters.map((w) => w.since));
      try {
        this.#pollCost++;
        const { events } = await this.#client.gameServers.events({ since: new Date(since) }, { maxRetries: 0 });
        const byId = new Map(waiters.map((w) => [w.id, w]));
        let newest = since;
        for (const event of events) {
          const w = byId.get(event.serverId);
          if (w) w.due = true;
          newest = Math.max(newest, Date.parse(event.createdAt) || since);
        }
        // Events before the newest one seen are consumed; keep a second of overlap for events
        // the API may still be writing with an earlier timestamp.
        for (const w of waiters) w.since = Math.max(w.since, newest - 1_000);
      } catch (error) {
        if (error instanceof APIError && (error.status === 404 || error.status === 405)) this.#events = false;
        else if (pollMayRecover(error)) failures.push(error as Error);
        else throw error;
      }
    }
    const now = this.#clock.now();
    const toRead = waiters.filter((w) => w.due || !this.#events || now - w.readAt >= RECHECK_MS);
    const reads = { sent: 0 };
    const seen: Seen =
      toRead.length > 0
        ? await this.#reads.forPoll(
            toRead.map((w) => w.id),
            this.#waiters.size,
            failures,
            reads,
          )
        : new Map();
    this.#pollCost += reads.sent;
    for (const w of toRead) {
      const server = seen.get(w.id);
      if (server === undefined) {
        if (failures[0]) w.onTransientError?.(failures[0]);
        continue;
      }
      w.due = false;
      w.readAt = now;
      if (server !== "gone" && server.deletedAt === null) {
        const previous = w.last?.status;
        w.last = server;
        if (server.status !== previous) w.onChange?.(server, previous, now - w.started);
      }
      const outcome = settledBy(server);
      if (outcome) this.#settle(w, outcome);
    }
    const retryAfters = failures
      .filter((e): e is RateLimitError => e instanceof RateLimitError)
      .map((e) => parseRetryAfter(e.headers, this.#clock.now()) ?? 1_000);
    return retryAfters.length > 0 ? Math.max(...retryAfters) : undefined;
  }

  /**
   * Reads these servers as the API has them now: a refresh, or a first look before waiting. More
   * than three are read from the list's pages of 100, newest first, in one walk that every
   * readAll coming meanwhile joins (a fleet's parts and its roster, refreshed side by side, share
   * it); the rest (few, or not listed: deleted) one `get` each. Unlike a poll's reads, each
   * request retries as any call does (`options`: the client's `maxRetries`, a 429 until the
   * deadline, 60 s from each call by default), so one 429 does not fail a fleet's refresh. A
   * server that could not be read is left out; a 404 is `"gone"`. Throws when none could be
   * read, or a read failed for good (bad key).
   */
  readAll(ids: string[], options: RequestOptions = {}): Promise<Seen> {
    return this.#reads.readAll(ids, options);
  }

  #settle(w: Waiter, outcome: WaitOutcome): void {
    if (this.#waiters.delete(w)) w.resolve(outcome);
  }
}
