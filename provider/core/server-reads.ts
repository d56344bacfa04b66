/**
 * Reading many servers at once for the {@link Watcher}: one `get` each for a few, else the
 * list's pages, newest first (servers are listed oldest first, so new ones are on the last
 * pages). A poll reads without retries (the next poll is its retry); a refresh's read retries as
 * any call does, and readers that come while a walk of the list is under way join it.
 */
import { type GameServer, type GameServersClient, NotFoundError, type RequestOptions } from "../../sdk/index.js";
import { pollMayRecover } from "./wait-outcome.js";

/** Up to this many servers are read one `get` each; more are read from the newest list pages. */
export const INDIVIDUAL_READ_LIMIT = 3;
const PAGE_SIZE = 100;

/** A server as one read saw it: a 404 is `"gone"`. */
export type Seen = Map<string, GameServer | "gone">;

/** A walk of the list for {@link ServerReads.readAll}: the servers its readers want, and all it saw. */
interface Listing {
  wanted: Set<string>;
  found: Map<string, GameServer>;
  done: Promise<void>;
}

export class ServerReads {
  readonly #client: GameServersClient;
  /** How many servers the list held at its latest answer: where its last page is. */
  #listTotal: number | undefined;
  /** The list walk under way for {@link readAll}, which every readAll that comes meanwhile joins. */
  #listing: Listing | undefined;

  constructor(client: GameServersClient) {
    this.#client = client;
  }

  /**
   * A poll's read of `ids`, no request retried: transient failures go to `failures`, and
   * `reads.sent` counts the requests. `waiting` (every wait of the watcher) sizes how many of the
   * newest pages are worth reading: those due may be the oldest.
   */
  async forPoll(ids: string[], waiting: number, failures: Error[], reads: { sent: number }): Promise<Seen> {
    const seen: Seen = new Map();
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
    const wanted = new Set(ids);
    if (wanted.size > INDIVIDUAL_READ_LIMIT) {
      try {
        // Read backwards from the last page, the one the previous list answer's total gives (the
        // list was counted once, at first).
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
        const budget = Math.ceil(Math.max(wanted.size, waiting) / PAGE_SIZE) + 1;
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

  /** See {@link Watcher.readAll}. */
  async readAll(ids: string[], options: RequestOptions = {}): Promise<Seen> {
    const seen: Seen = new Map();
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
}
