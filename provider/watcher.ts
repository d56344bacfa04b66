import {
  APIError,
  type Clock,
  type GameServer,
  type GameServerStatus,
  type GameServersClient,
  InvalidResponseError,
  isTransientError,
  NotFoundError,
  parseRetryAfter,
  RateLimitError,
  type RequestOptions,
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
/** Up to this many servers are read one `get` each; more are read from the newest list pages. */
export const INDIVIDUAL_READ_LIMIT = 3;
const PAGE_SIZE = 100;

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
  /** How many servers the list held at its latest answer: where its last page is. */
  #listTotal: number | undefined;
  /** The list walk under way for {@link readAll}, which every readAll that comes meanwhile joins. */
  #listing: Listing | undefined;

  /** @param intervalMs the longest time between polls */
  constructor(client: GameServersClient, intervalMs: number, clock: Clock = systemClock) {
    this.#client = client;
    this.#intervalMs = intervalMs;
    this.#clock = clock;
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
    const seen = toRead.length > 0 ? await this.#read(toRead, failures, reads) : new Map<string, GameServer | "gone">();
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

  /** The servers of `waiters` as the API has them now; transient failures go to `failures`. */
  async #read(waiters: Pick<Waiter, "id">[], failures: Error[], reads = { sent: 0 }): Promise<Map<string, GameServer | "gone">> {
    const seen = new Map<string, GameServer | "gone">();
    const readOne = async (id: string) => {
      try {
        reads.sent++;
        seen.set(id, await this.#client.gameServers.get(id, { maxRetries: 0 }));
      } catch (error) {
        if (error instanceof NotFoundError) seen.set(id, "gone");
        else if (pollMayRecover(error)) failures.push(error as Error);
        else throw error;
      }
    };
    const wanted = new Set(waiters.map((w) => w.id));
    if (wanted.size > INDIVIDUAL_READ_LIMIT) {
      try {
        // The newest servers are on the last pages: read backwards from the last, as many pages
        // as every wait of this watcher could fill (those due may be the oldest). The last page is
        // the one the previous list answer's total gives (the list was counted once, at first).
        const readPage = async (page: number) => {
          reads.sent++;
          const { items, total } = await this.#client.gameServers.list({ page, pageSize: PAGE_SIZE }, { maxRetries: 0 });
          this.#listTotal = total;
          for (const server of items) if (wanted.delete(server.id)) seen.set(server.id, server);
          return Math.ceil(total / PAGE_SIZE);
        };
        if (this.#listTotal === undefined) {
          reads.sent++;
          this.#listTotal = (await this.#client.gameServers.list({ page: 1, pageSize: 1 }, { maxRetries: 0 })).total;
        }
        const guessed = Math.max(1, Math.ceil(this.#listTotal / PAGE_SIZE));
        // Its answer tells whether the list grew (or shrank) since: then the newest pages are read too.
        const pages = await readPage(guessed);
        const budget = Math.ceil(Math.max(wanted.size, this.#waiters.size) / PAGE_SIZE) + 1;
        for (let page = pages; page >= 1 && page > pages - budget && wanted.size > 0; page--) {
          if (page !== guessed) await readPage(page);
        }
      } catch (error) {
        if (!pollMayRecover(error)) throw error;
        failures.push(error as Error);
        return seen;
      }
    }
    // Few, or not on the newest pages (deleted meanwhile, or older than the rest): one by one.
    await Promise.all([...wanted].map(readOne));
    return seen;
  }

  /**
   * Reads these servers as the API has them now: a refresh, or a first look before waiting. More
   * than {@link INDIVIDUAL_READ_LIMIT} are read from the list's pages of 100, newest first, in
   * one walk that every readAll coming meanwhile joins (a fleet's parts and its roster, refreshed
   * side by side, share it); the rest (few, or not listed: deleted) one `get` each. Unlike a poll's
   * reads, each request retries as any call does (`options`: the client's `maxRetries`, a 429
   * until the deadline, 60 s from each call by default): one 429 failed the refresh of a fleet
   * (issue 17). A server that could not be read is left out; a 404 is `"gone"`. Throws when none
   * could be read, or a read failed for good (bad key).
   */
  async readAll(ids: string[], options: RequestOptions = {}): Promise<Map<string, GameServer | "gone">> {
    const seen = new Map<string, GameServer | "gone">();
    const failures: Error[] = [];
    let wanted = [...new Set(ids)];
    if (wanted.length > INDIVIDUAL_READ_LIMIT) {
      const listed = await this.#listAll(wanted, options);
      for (const id of wanted) {
        const server = listed.get(id);
        if (server) seen.set(id, server);
      }
      wanted = wanted.filter((id) => !seen.has(id));
    }
    await Promise.all(
      wanted.map(async (id) => {
        try {
          seen.set(id, await this.#client.gameServers.get(id, options));
        } catch (error) {
          if (error instanceof NotFoundError) seen.set(id, "gone");
          else if (pollMayRecover(error)) failures.push(error as Error);
          else throw error;
        }
      }),
    );
    if (seen.size === 0 && failures[0]) throw failures[0];
    return seen;
  }

  /** Every server the list walk (under way, or started now) saw, these ids looked for too. */
  async #listAll(ids: string[], options: RequestOptions): Promise<Map<string, GameServer>> {
    let listing = this.#listing;
    if (listing) for (const id of ids) listing.wanted.add(id);
    else {
      const started: Listing = { wanted: new Set(ids), found: new Map(), done: Promise.resolve() };
      started.done = this.#walk(started, options).finally(() => {
        if (this.#listing === started) this.#listing = undefined;
      });
      this.#listing = listing = started;
    }
    await listing.done;
    return listing.found;
  }

  /**
   * Reads the list's pages from the last (the newest servers) back to the first, one at a time,
   * until every wanted server was seen, or the pages left outnumber the servers still missing
   * (a `get` each then costs less: an organization far larger than the fleets read).
   */
  async #walk(listing: Listing, options: RequestOptions): Promise<void> {
    const read = new Set<number>();
    const readPage = async (page: number) => {
      read.add(page);
      const { items, total } = await this.#client.gameServers.list({ page, pageSize: PAGE_SIZE }, options);
      for (const server of items) listing.found.set(server.id, server);
      this.#listTotal = total;
      return Math.max(1, Math.ceil(total / PAGE_SIZE));
    };
    const missing = () => [...listing.wanted].filter((id) => !listing.found.has(id)).length;
    // Where the last page is: the list's previous answer says, else its first page does.
    let pages = await readPage(this.#listTotal === undefined ? 1 : Math.max(1, Math.ceil(this.#listTotal / PAGE_SIZE)));
    for (;;) {
      // The newest page not read yet (each answer's total says where the last page is now).
      let page = pages;
      while (page >= 1 && read.has(page)) page--;
      let unread = 0;
      for (let p = 1; p <= page; p++) if (!read.has(p)) unread++;
      const left = missing();
      if (page < 1 || left === 0 || unread > left) return;
      pages = await readPage(page);
    }
  }

  #settle(w: Waiter, outcome: WaitOutcome): void {
    if (this.#waiters.delete(w)) w.resolve(outcome);
  }
}

/** A walk of the list for {@link Watcher.readAll}: the servers its readers want, and all it saw. */
interface Listing {
  wanted: Set<string>;
  found: Map<string, GameServer>;
  done: Promise<void>;
}

/** How a wait ends on reading its server this way, if it does: running, failed (or stopped) or gone; not when unread. */
export function settledBy(server: GameServer | "gone" | undefined): WaitOutcome | undefined {
  if (server === undefined) return undefined;
  if (server === "gone" || server.deletedAt !== null) return { kind: "gone" };
  if (server.status === "running") return { kind: "running", server };
  if (TERMINAL_STATUSES.includes(server.status)) return { kind: "failed", server };
  return undefined;
}

/** A poll that failed this way may work next time: transient errors, and a garbled read. */
function pollMayRecover(error: unknown): boolean {
  return isTransientError(error) || error instanceof InvalidResponseError;
}
