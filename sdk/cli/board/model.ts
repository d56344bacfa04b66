import { setTimeout as sleep } from "node:timers/promises";
import type { ConsoleStream } from "../../console/index.js";
import type { GameServersClient } from "../../core/client.js";
import { AmbiguousRequestError } from "../../core/errors.js";
import type { GameServer } from "../../schemas/index.js";
import { listAll } from "../context.js";
import { address, oneLine, REDACTED } from "../format.js";
import { matchesGlob } from "../glob.js";
import { orphanReasons, type StackView } from "./stack.js";
import { readLine, unstamped } from "./status-lines.js";

/** Console lines a tile shows. */
const TILE_LINES = 4;
/** Console lines kept per server for its console view. */
const HISTORY_LINES = 300;
/** Lines of the board's own `status` answer hidden from a tile at most (the block ends at `#end`). */
const STATUS_BLOCK_MAX = 80;
/** How long after a console stream closed the board opens another to a running server. @default 10000 ms */
const REOPEN_AFTER_MS = 10_000;
/** Commands in flight at once for an announcement, as `send --name` sends them. */
const CONCURRENCY = 8;

/** What the page shows of a server: no API key, and passwords only with `--show-secrets`. */
export interface Tile {
  id: string;
  name: string;
  /** The API's status, or `deleted` once the server left the list. */
  status: string;
  region: string;
  address: string;
  lastError: string | null;
  /** Players connected, from the console's `status`; null while unknown (or the key cannot ask). */
  players: number | null;
  map: string | null;
  /** The last console lines, the board's own `status` answers left out. */
  lines: string[];
  /** Sequence number of the server's latest console line (0: none yet). */
  seq: number;
  /** The console stream: `connecting`, `live`, `read-only`, `reconnecting`, `closed`, `off` (not running). */
  console: string;
  /** Why the console closed or failed, in one line. */
  consoleNote: string | null;
  /** The server left the list (deleted), or the stack holds it and it is not live. */
  gone: boolean;
  rconPassword: string | null;
  serverPassword: string | null;
  /** With `--state`: the resource (and fleet key) that owns the server, or null when none does. */
  owner: { resource: string; key?: string } | null;
  /** With `--state`, for a server no resource owns: why it looks like the stack's (may be empty). */
  orphan: string[] | null;
}

/** A change for the page. */
export type BoardChange =
  | { type: "tile"; tile: Tile }
  | { type: "line"; id: string; seq: number; line: string }
  | { type: "banner"; banner: string | null };

/** One server's result of an announcement, as `send --json` reports it. */
export interface SendResult {
  id: string;
  name: string;
  result: "sent" | "failed" | "unknown";
  error?: string;
}

export interface BoardOptions {
  client: GameServersClient;
  /** Time between list calls, in ms. */
  intervalMs: number;
  /** Only servers whose name matches this glob. */
  name?: string | undefined;
  showSecrets: boolean;
  stack?: StackView | undefined;
}

interface Entry {
  tile: Tile;
  history: { seq: number; line: string }[];
  stream?: ConsoleStream | undefined;
  closedAt?: number;
  /** The board's own `status` was sent and its echo not seen yet. */
  statusAsked: boolean;
  /** Lines of the board's `status` answer hidden so far, or -1 outside one. */
  hiding: number;
  secrets: string[];
}

/**
 * The board's state: one list call per poll for every server (as `watch` does), a console
 * stream per running server for its lines, players and map, and what changed, for the pages.
 */
export class BoardModel {
  readonly #options: BoardOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #listeners = new Set<(change: BoardChange) => void>();
  readonly #stop = new AbortController();
  #banner: string | null = null;
  #polled = false;
  #loop: Promise<void> | undefined;
  /** Polls done so far. */
  polls = 0;

  constructor(options: BoardOptions) {
    this.#options = options;
  }

  /** Starts polling; the first list call is awaited, so the board opens full. */
  async start(): Promise<void> {
    await this.#poll();
    this.#loop = this.#run();
  }

  /** Stops polling and closes every console stream. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    await Promise.all([...this.#entries.values()].map((e) => e.stream?.close().catch(() => {})));
  }

  /** Every tile, by name. */
  tiles(): Tile[] {
    return [...this.#entries.values()].map((e) => e.tile).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  get banner(): string | null {
    return this.#banner;
  }

  /** A server's kept console lines, oldest first; undefined for a server the board does not show. */
  history(id: string): { seq: number; line: string }[] | undefined {
    return this.#entries.get(id)?.history;
  }

  /** Calls `listener` with each change until the returned function is called. */
  subscribe(listener: (change: BoardChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Sends one command to one shown server; never repeated (a lost answer is `unknown`). */
  async send(id: string, command: string): Promise<SendResult> {
    const entry = this.#entries.get(id);
    if (!entry) return { id, name: "", result: "failed", error: "the board does not show this server" };
    return this.#sendTo(entry, command);
  }

  /** Sends one command to every shown server that is not gone, each once. */
  async announce(command: string): Promise<SendResult[]> {
    const targets = [...this.#entries.values()].filter((e) => !e.tile.gone);
    const results: SendResult[] = new Array(targets.length);
    let next = 0;
    const worker = async () => {
      while (next < targets.length) {
        const i = next++;
        results[i] = await this.#sendTo(targets[i]!, command);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, targets.length) }, worker));
    return results.sort((a, b) => a.name.localeCompare(b.name));
  }

  async #sendTo(entry: Entry, command: string): Promise<SendResult> {
    const { id, name } = entry.tile;
    try {
      await this.#options.client.console.sendCommand(id, command, { signal: this.#stop.signal });
      return { id, name, result: "sent" };
    } catch (error) {
      const message = this.#redact(entry, oneLine(error instanceof Error ? error.message : String(error)));
      return { id, name, result: error instanceof AmbiguousRequestError ? "unknown" : "failed", error: message };
    }
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    let started = Date.now();
    while (!signal.aborted) {
      try {
        await sleep(Math.max(0, this.#options.intervalMs - (Date.now() - started)), undefined, { signal });
      } catch {
        return;
      }
      started = Date.now();
      await this.#poll();
    }
  }

  async #poll(): Promise<void> {
    const { client, name, stack } = this.#options;
    let servers: GameServer[];
    try {
      servers = await listAll(client, this.#stop.signal);
    } catch (error) {
      if (this.#stop.signal.aborted) return;
      this.#setBanner(`Refresh failed: ${oneLine(error instanceof Error ? error.message : String(error))} (retrying)`);
      return;
    }
    this.polls++;
    this.#setBanner(null);
    if (name !== undefined) servers = servers.filter((s) => matchesGlob(s.name, name));
    const seen = new Set<string>();
    for (const server of servers) {
      seen.add(server.id);
      this.#update(server);
    }
    for (const entry of this.#entries.values()) {
      if (seen.has(entry.tile.id) || entry.tile.gone) continue;
      this.#markGone(entry, "deleted");
    }
    // The stack's servers that are not live: shown once, as gone.
    if (stack && !this.#polled) {
      for (const [id, owner] of stack.owners) {
        if (this.#entries.has(id) || (name !== undefined && !matchesGlob(owner.name ?? "", name))) continue;
        const entry = this.#newEntry(id, owner.name ?? id);
        entry.tile.status = "not found";
        entry.tile.gone = true;
        entry.tile.owner = { resource: owner.resource, ...(owner.key !== undefined ? { key: owner.key } : {}) };
        entry.tile.console = "off";
        this.#emit({ type: "tile", tile: entry.tile });
      }
    }
    this.#polled = true;
  }

  #newEntry(id: string, name: string): Entry {
    const entry: Entry = {
      tile: {
        id,
        name,
        status: "",
        region: "",
        address: "-",
        lastError: null,
        players: null,
        map: null,
        lines: [],
        seq: 0,
        console: "off",
        consoleNote: null,
        gone: false,
        rconPassword: null,
        serverPassword: null,
        owner: null,
        orphan: null,
      },
      history: [],
      statusAsked: false,
      hiding: -1,
      secrets: [],
    };
    this.#entries.set(id, entry);
    return entry;
  }

  #update(server: GameServer): void {
    const entry = this.#entries.get(server.id) ?? this.#newEntry(server.id, server.name);
    const { stack, showSecrets } = this.#options;
    const tile = entry.tile;
    const before = JSON.stringify(tile);
    tile.name = server.name;
    tile.status = server.status;
    tile.region = server.region;
    tile.address = address(server);
    tile.lastError = server.lastAllocationError ?? null;
    entry.secrets = [server.rconPassword, server.serverPassword].filter((p): p is string => typeof p === "string" && p.length > 0);
    tile.rconPassword = server.rconPassword == null ? null : showSecrets ? server.rconPassword : REDACTED;
    tile.serverPassword = server.serverPassword == null ? null : showSecrets ? server.serverPassword : REDACTED;
    if (stack) {
      const owner = stack.owners.get(server.id);
      tile.owner = owner ? { resource: owner.resource, ...(owner.key !== undefined ? { key: owner.key } : {}) } : null;
      tile.orphan = owner ? null : orphanReasons(stack, server);
    }
    if (server.status === "running" && !entry.stream && Date.now() - (entry.closedAt ?? 0) > REOPEN_AFTER_MS) this.#openConsole(entry);
    if (JSON.stringify(tile) !== before) this.#emit({ type: "tile", tile });
  }

  #markGone(entry: Entry, status: string): void {
    entry.tile.gone = true;
    entry.tile.status = status;
    entry.tile.address = "-";
    entry.tile.players = null;
    entry.tile.console = "off";
    void entry.stream?.close().catch(() => {});
    entry.stream = undefined;
    this.#emit({ type: "tile", tile: entry.tile });
  }

  #openConsole(entry: Entry): void {
    const { client } = this.#options;
    const tile = entry.tile;
    const stream = client.console.connect(tile.id, { signal: this.#stop.signal, replay: true });
    entry.stream = stream;
    entry.statusAsked = false;
    tile.console = "connecting";
    tile.consoleNote = null;
    void (async () => {
      for await (const event of stream) {
        switch (event.type) {
          case "authenticated":
            tile.console = stream.readOnly ? "read-only" : "live";
            this.#emit({ type: "tile", tile });
            if (!stream.readOnly && !entry.statusAsked) void this.#askStatus(entry);
            break;
          case "output":
            this.#line(entry, event.line);
            break;
          case "status":
            if (!tile.gone && tile.status !== event.status) {
              tile.status = event.status;
              if (event.status !== "running") tile.players = null;
              this.#emit({ type: "tile", tile });
            }
            break;
          case "reconnecting":
            tile.console = "reconnecting";
            tile.consoleNote = oneLine(event.reason);
            this.#emit({ type: "tile", tile });
            break;
          case "resumed":
            tile.console = stream.readOnly ? "read-only" : "live";
            tile.consoleNote = event.mayHaveMissedLines ? "reconnected; lines may be missing" : null;
            this.#emit({ type: "tile", tile });
            break;
          case "error":
            tile.consoleNote = this.#redact(entry, oneLine(event.error.message));
            this.#emit({ type: "tile", tile });
            break;
          case "closed":
            if (entry.stream === stream) entry.stream = undefined;
            entry.closedAt = Date.now();
            if (this.#stop.signal.aborted || tile.gone) break;
            tile.console = "closed";
            tile.consoleNote = this.#redact(entry, oneLine(event.error?.message ?? event.reason));
            // A deleted server's stream says so before the next list call does.
            if (event.error?.name === "ConsoleServerDeletedError") this.#markGone(entry, "deleted");
            else this.#emit({ type: "tile", tile });
            break;
        }
      }
    })();
  }

  /** Asks the server for `status` once its console is open: the players and the map. */
  async #askStatus(entry: Entry): Promise<void> {
    entry.statusAsked = true;
    try {
      await this.#options.client.console.sendCommand(entry.tile.id, "status", { signal: this.#stop.signal });
    } catch (error) {
      if (this.#stop.signal.aborted) return;
      entry.tile.consoleNote = `players unknown: ${this.#redact(entry, oneLine(error instanceof Error ? error.message : String(error)))}`;
      this.#emit({ type: "tile", tile: entry.tile });
    }
  }

  #line(entry: Entry, raw: string): void {
    const tile = entry.tile;
    const line = this.#redact(entry, raw);
    const text = unstamped(line);
    tile.seq++;
    entry.history.push({ seq: tile.seq, line });
    if (entry.history.length > HISTORY_LINES) entry.history.shift();
    const facts = readLine(text);
    if (facts.players !== undefined) tile.players = facts.players;
    if (facts.playerDelta !== undefined && tile.players !== null) tile.players = Math.max(0, tile.players + facts.playerDelta);
    if (facts.map !== undefined) tile.map = facts.map;
    // The board's own `status` answer is kept in the history but not shown on the tile.
    if (entry.statusAsked && entry.hiding < 0 && text === "> status") entry.hiding = 0;
    if (entry.hiding >= 0) {
      entry.hiding++;
      if (text === "#end" || entry.hiding > STATUS_BLOCK_MAX) {
        entry.hiding = -1;
        entry.statusAsked = false;
      }
    } else {
      tile.lines.push(line);
      if (tile.lines.length > TILE_LINES) tile.lines.shift();
    }
    this.#emit({ type: "line", id: tile.id, seq: tile.seq, line });
    this.#emit({ type: "tile", tile });
  }

  /** The server's passwords out of a text the page will show, unless `--show-secrets`. */
  #redact(entry: Entry, text: string): string {
    if (this.#options.showSecrets) return text;
    let out = text;
    for (const secret of entry.secrets) out = out.split(secret).join(REDACTED);
    return out;
  }

  #setBanner(banner: string | null): void {
    if (banner === this.#banner) return;
    this.#banner = banner;
    this.#emit({ type: "banner", banner });
  }

  #emit(change: BoardChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}
