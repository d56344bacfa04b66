import type { GameServer } from "../schemas/index.js";
import { HttpError } from "./http-error.js";
import { token } from "./ids.js";
import { maxPlayersOf } from "./players.js";
import type { ServerRecord } from "./servers.js";
import type { EmulatorState } from "./state.js";

/** Lines kept per server's log. */
const LOG_LIMIT = 2000;

/** What a console websocket token grants. */
export interface ConsoleToken {
  serverId: string;
  organizationId: string;
  readWrite: boolean;
  /** Real epoch ms. */
  expiresAt: number;
  ttlMs: number;
}

/**
 * The console and log side of the servers: websocket tokens, console commands and their output,
 * and each server's log. Every line appended is emitted as `log` for the console websockets.
 */
export class GameConsole {
  readonly #state: EmulatorState;
  readonly #tokens = new Map<string, ConsoleToken>();

  constructor(state: EmulatorState) {
    this.#state = state;
  }

  reset(): void {
    this.#tokens.clear();
  }

  /** The server for a console route: 404 unknown or deleted, 403 another organization's. */
  server(org: string, id: string): GameServer {
    const record = this.#state.servers.owned(org, id);
    if (record.wire.deletedAt !== null) throw new HttpError(404, "NOT_FOUND", `Game server ${id} not found (deleted)`);
    return record.wire;
  }

  issueToken(server: GameServer, readWrite: boolean): string {
    const now = Date.now();
    for (const [t, info] of this.#tokens) if (info.expiresAt <= now) this.#tokens.delete(t);
    const value = `ct_${token(24)}`;
    const { tokenTtlMs } = this.#state.config;
    this.#tokens.set(value, {
      serverId: server.id,
      organizationId: server.organizationId,
      readWrite,
      expiresAt: now + tokenTtlMs,
      ttlMs: tokenTtlMs,
    });
    return value;
  }

  /** A live token's grant, or undefined when unknown or expired. */
  redeemToken(value: string): ConsoleToken | undefined {
    const info = this.#tokens.get(value);
    return info && info.expiresAt > Date.now() ? info : undefined;
  }

  /** Runs a console command on a running server; its output goes to the log and every stream. */
  runCommand(id: string, command: string): void {
    const record = this.#state.servers.byId(id);
    if (record?.wire.status !== "running") {
      throw new HttpError(403, "PROVIDER_PERMISSION_DENIED", "Console commands are not available for this server");
    }
    record.lastActivityAt = this.#state.now();
    this.appendLog(record, `> ${command}`);
    for (const line of this.#commandOutput(record, command)) this.appendLog(record, line);
  }

  logOf(id: string): string[] {
    return this.#state.servers.byId(id)?.log ?? [];
  }

  /** Appends one line, stamped with the emulated clock, to a server's log and its streams. */
  appendLog(record: ServerRecord, text: string): void {
    const stamp = new Date(this.#state.now()).toISOString().slice(11, 19);
    const line = `[${stamp}] ${text}`;
    record.log.push(line);
    if (record.log.length > LOG_LIMIT) record.log.splice(0, record.log.length - LOG_LIMIT);
    this.#state.emit("log", record.wire.id, line);
  }

  /** What a CS2 server prints for a command (the few the emulator knows). */
  #commandOutput(record: ServerRecord, command: string): string[] {
    const [verb = "", ...rest] = command.trim().split(/\s+/);
    const arg = rest.join(" ");
    const cfg = record.configuration;
    switch (verb) {
      case "say":
        return [`Console: ${arg}`];
      case "status":
        return this.#status(record);
      case "changelevel": {
        const pool = Array.isArray(cfg.mapPool) ? (cfg.mapPool as string[]) : [];
        if (!pool.includes(arg)) return [`changelevel failed: ${arg || "(no map)"} is not in the map pool`];
        record.currentMap = arg;
        return [`Changing level to ${arg}`];
      }
      case "mp_restartgame":
        return [`Restarting game in ${arg || "1"} seconds`];
      default:
        return [`Unknown command "${verb}"`];
    }
  }

  /**
   * CS2's `status`, in the layout of its 1.40 builds (README, "Players"): the `players :` line
   * with the real count, then a row per player. No bots run and the server never hibernates;
   * `(N max)` is `sv_visiblemaxplayers`, which the emulated server sets to `maxPlayers`.
   */
  #status(record: ServerRecord): string[] {
    const cfg = record.configuration;
    const humans = record.players.size;
    return [
      `hostname: ${record.wire.name}`,
      `version : 1.40.7.3/14073 10529 ${cfg.enableVAC === false ? "insecure" : "secure"}  public`,
      "os/type : Linux dedicated",
      `map     : ${record.currentMap ?? String(cfg.startingMap ?? "unknown")}`,
      `players : ${humans} humans, 0 bots (${maxPlayersOf(record)} max) (not hibernating) (unreserved)`,
      ...this.#state.players.statusTable(record),
    ];
  }
}
