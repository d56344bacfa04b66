import { z } from "zod";
import { HttpError } from "./http-error.js";
import type { ServerRecord } from "./servers.js";
import type { EmulatorState } from "./state.js";

/** A player connected to an emulated server. */
export interface Player {
  name: string;
  /** The `id` column of `status`: 2, 3, ... per server, never reused while it runs. */
  userId: number;
  /** `ip:port` the player connects from. */
  address: string;
  /** Emulated epoch ms. */
  connectedAt: number;
}

/**
 * A player name. Steam persona names are at most 32 characters. Quotes and control characters
 * are refused: `status` prints names in single quotes and the log in double quotes, one per line,
 * and a test-made name should not break either.
 */
const PlayerName = z
  .string()
  .min(1, "must be 1 to 32 characters")
  .max(32, "must be 1 to 32 characters")
  .regex(/^[^\p{Cc}"']+$/u, "must not contain quotes or control characters");

/** CS2's largest `maxPlayers`: the cap of a server whose configuration has none. */
const MAX_PLAYERS = 64;

const Names = z
  .array(PlayerName)
  .min(1, "must name at least one player")
  .max(MAX_PLAYERS)
  .superRefine((names, ctx) => {
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) ctx.addIssue({ code: "custom", path: [i], message: `${name} is listed twice` });
    });
  });

/**
 * `POST /_emulator/servers/:id/players` body. `disconnect` is applied first, then `connect`, so
 * one request can swap players on a full server (or reconnect one, named in both).
 */
export const PlayersRequest = z
  .strictObject({
    /** Names to connect, or a count of players named `player1`, `player2`, ... (the first free names). */
    connect: z
      .union([Names, z.int().min(1).max(MAX_PLAYERS)], { error: "must be a list of player names or a count from 1 to 64" })
      .optional(),
    /** Names to disconnect, or `"all"`. */
    disconnect: z.union([Names, z.literal("all")], { error: 'must be a list of player names or "all"' }).optional(),
  })
  .refine((r) => r.connect !== undefined || r.disconnect !== undefined, "must set connect, disconnect or both");
export type PlayersRequest = z.infer<typeof PlayersRequest>;

/** `GET` and `POST /_emulator/servers/:id/players` answer: who is connected now, oldest first. */
export interface PlayersAnswer {
  serverId: string;
  count: number;
  players: { name: string; userId: number; address: string; connectedAt: string }[];
}

/** The port a Source client connects from. */
const CLIENT_PORT = 27005;

/**
 * The players of the emulated servers, connected and disconnected through the control routes.
 * Only a running server has players; a stop or a delete drops them. Connects and disconnects are
 * written to the server's log as CS2's console prints them, and count as activity for autoStop.
 */
export class Players {
  readonly #state: EmulatorState;
  /** Connections so far, for client addresses; back to 0 at reset. */
  #connections = 0;

  constructor(state: EmulatorState) {
    this.#state = state;
  }

  reset(): void {
    this.#connections = 0;
  }

  /**
   * `GET /_emulator/servers/:id/players`: 404 for an unknown server. A deleted server stays
   * readable, as it does by id in the API, with no players.
   */
  list(id: string): PlayersAnswer {
    const record = this.#state.servers.byId(id);
    if (!record) throw new HttpError(404, "NOT_FOUND", `Game server ${id} not found`);
    return this.#answer(record);
  }

  /**
   * `POST /_emulator/servers/:id/players`: all of it or nothing. 404 for an unknown or deleted
   * server, 409 for one that is not running, a name already connected (or not connected, to
   * disconnect), or more players than `maxPlayers`.
   */
  apply(id: string, request: PlayersRequest): PlayersAnswer {
    const record = this.#live(id);
    if (record.wire.status !== "running") {
      throw new HttpError(409, "CONFLICT", `Game server ${id} is ${record.wire.status}: only a running server can have players`);
    }
    const { players } = record;
    const leaving = request.disconnect === "all" ? [...players.keys()] : (request.disconnect ?? []);
    for (const name of leaving) {
      if (!players.has(name)) throw new HttpError(409, "CONFLICT", `disconnect: ${name} is not connected to ${id}`);
    }
    const staying = new Set([...players.keys()].filter((name) => !leaving.includes(name)));
    const joining = typeof request.connect === "number" ? freeNames(staying, request.connect) : (request.connect ?? []);
    for (const name of joining) {
      if (staying.has(name)) throw new HttpError(409, "CONFLICT", `connect: ${name} is already connected to ${id}`);
    }
    const max = maxPlayersOf(record);
    if (staying.size + joining.length > max) {
      throw new HttpError(
        409,
        "CONFLICT",
        `connect: server ${id} is full (${staying.size} connected, ${joining.length} joining, ${max} max)`,
      );
    }
    for (const name of leaving) this.#drop(record, name, "Disconnect");
    for (const name of joining) {
      const address = `203.0.113.${1 + (this.#connections++ % 250)}:${CLIENT_PORT}`;
      players.set(name, { name, userId: record.nextUserId++, address, connectedAt: this.#state.now() });
      // CS2 prints this on the server console when a client connects.
      this.#state.console.appendLog(record, `Client "${name}" connected (${address}).`);
    }
    // Players are activity: the idle time of autoStop starts again when the last one leaves.
    if (leaving.length + joining.length > 0) record.lastActivityAt = this.#state.now();
    return this.#answer(record);
  }

  /** Drops every player of a server that stops or is deleted, with CS2's shutdown reason. */
  dropAll(record: ServerRecord): void {
    for (const name of [...record.players.keys()]) this.#drop(record, name, "Server shutting down");
  }

  /** The `status` lines after `players :`: CS2's player table, one row per player, then `#end`. */
  statusTable(record: ServerRecord): string[] {
    const now = this.#state.now();
    const rows = [...record.players.values()].map((p) =>
      [
        String(p.userId).padStart(4),
        clock(now - p.connectedAt).padStart(9),
        String(pingOf(p.name)).padStart(5),
        "0".padStart(5),
        "active".padStart(11),
        "786432".padStart(7),
        ` ${p.address} '${p.name}'`,
      ].join(""),
    );
    return ["  id     time ping loss      state   rate adr name", ...rows, "#end"];
  }

  #drop(record: ServerRecord, name: string, reason: string): void {
    record.players.delete(name);
    // The Source engine's console line when a client leaves (CBaseClient::Disconnect).
    this.#state.console.appendLog(record, `Dropped ${name} from server: ${reason}`);
  }

  /** A server the control routes may act on: 404 when unknown or deleted. */
  #live(id: string): ServerRecord {
    const record = this.#state.servers.byId(id);
    if (!record || record.wire.deletedAt !== null) throw new HttpError(404, "NOT_FOUND", `Game server ${id} not found`);
    return record;
  }

  #answer(record: ServerRecord): PlayersAnswer {
    const players = [...record.players.values()].map((p) => ({
      name: p.name,
      userId: p.userId,
      address: p.address,
      connectedAt: new Date(p.connectedAt).toISOString(),
    }));
    return { serverId: record.wire.id, count: players.length, players };
  }
}

/** The configuration's `maxPlayers`, else CS2's largest. */
export function maxPlayersOf(record: ServerRecord): number {
  const max = record.configuration.maxPlayers;
  return typeof max === "number" ? max : MAX_PLAYERS;
}

/** `count` names `player<n>`, the lowest n not taken. */
function freeNames(taken: Set<string>, count: number): string[] {
  const names: string[] = [];
  for (let n = 1; names.length < count; n++) if (!taken.has(`player${n}`)) names.push(`player${n}`);
  return names;
}

/** Connected time as `status` prints it: `mm:ss`, `h:mm:ss` past an hour. */
function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const mmss = `${String(Math.floor(s / 60) % 60).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mmss}` : mmss;
}

/** A steady ping per name (10 to 69 ms), so `status` reads the same from one call to the next. */
function pingOf(name: string): number {
  let sum = 0;
  for (const c of name) sum += c.codePointAt(0) ?? 0;
  return 10 + (sum % 60);
}
