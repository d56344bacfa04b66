import { type ConsoleConnectOptions, type ConsoleStream, LiveConsoleStream } from "../console/index.js";
import { GameServersError } from "../core/errors.js";
import { path, type RequestOptions, type Transport } from "../core/transport.js";
import { isLoopbackHost } from "../internal/url.js";
import { ConsoleBootstrapResponse, ConsoleCommandRequest, ConsoleCommandResponse, LatestLogResponse } from "../schemas/index.js";
import { serverId, validate } from "./game-servers.js";

/** Bootstrap data for a console websocket. The token is short-lived: refresh it when told. */
export interface ConsoleBootstrap {
  serverId: string;
  /** `wss://` URL of the console websocket (`ws://` only on loopback). */
  socketUrl: string;
  token: string;
}

/** What `client.console.sendCommand` returns: the command was accepted. */
export interface ConsoleCommandResult {
  serverId: string;
  /** `sent` when the command reached the server's console. */
  status: string;
}

/** A server's latest log, as `client.logs.latest` returns it. */
export interface LatestLog {
  serverId: string;
  /** True when the server has written no log yet. */
  empty: boolean;
  content: string;
}

/** Scopes of the console document's table, named in `InsufficientScopeError`. */
export const CONSOLE_SCOPES = {
  websocket: "game-console:read or game-console:read_write",
  command: "game-console:read_write",
  logs: "game-logs:read",
} as const;

/** `client.console`: console websocket bootstrap and console commands. */
export class Console {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** Short-lived websocket bootstrap data (`GET /v1/hosting/game/console/{id}/websocket`). */
  async bootstrap(id: string, options?: RequestOptions): Promise<ConsoleBootstrap> {
    const res = await this.#t.request(
      {
        method: "GET",
        base: "console",
        path: path`/v1/hosting/game/console/${serverId("console.bootstrap", id)}/websocket`,
        schema: ConsoleBootstrapResponse,
        what: "console.bootstrap",
        requiredScope: CONSOLE_SCOPES.websocket,
      },
      options,
    );
    const socketUrl = new URL(res.websocket.socket_url);
    if (socketUrl.protocol !== "wss:" && !(socketUrl.protocol === "ws:" && isLoopbackHost(socketUrl.hostname))) {
      throw new GameServersError(
        `console.bootstrap: refusing socket URL ${socketUrl.origin}: only wss:// (or ws:// on loopback) is allowed`,
      );
    }
    return { serverId: res.server_id, socketUrl: res.websocket.socket_url, token: res.websocket.token };
  }

  /**
   * Opens a live console stream: a websocket through this client's dispatcher, authenticated
   * with {@link bootstrap} data, refreshed on the same socket when the token expires, and
   * reconnected (capped exponential backoff with jitter, fresh bootstrap data) when the socket
   * drops, resuming with a replay that never repeats a delivered line. Close codes 4004 (server
   * deleted) and 4003 (suspended) end it with a typed error; so do bootstrap errors retrying
   * cannot fix (`AuthenticationError` for a revoked key, `InsufficientScopeError`,
   * `NotFoundError`). A `game-console:read` key gets a read-only stream.
   */
  connect(id: string, options: ConsoleConnectOptions = {}): ConsoleStream {
    const validId = serverId("console.connect", id);
    const t = this.#t;
    return new LiveConsoleStream(
      {
        bootstrap: (sid, o) => this.bootstrap(sid, o),
        sendCommand: (sid, command, o) => this.sendCommand(sid, command, o),
        validateCommand: (command) => validate("console.send", ConsoleCommandRequest, { command }),
        dispatcher: t.dispatcher,
        clock: t.clock,
      },
      validId,
      options,
    );
  }

  /** Sends one console command (`POST /v1/hosting/game/console/{id}/command`). Never retried blindly. */
  async sendCommand(id: string, command: string, options?: RequestOptions): Promise<ConsoleCommandResult> {
    const body = validate("console.sendCommand", ConsoleCommandRequest, { command });
    const res = await this.#t.request(
      {
        method: "POST",
        base: "console",
        path: path`/v1/hosting/game/console/${serverId("console.sendCommand", id)}/command`,
        body,
        schema: ConsoleCommandResponse,
        what: "console.sendCommand",
        requiredScope: CONSOLE_SCOPES.command,
      },
      options,
    );
    return { serverId: res.server_id, status: res.status };
  }
}

/** `client.logs`: game server logs. */
export class Logs {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** The latest log as text (`GET /v1/hosting/game/logs/{id}/latest`). */
  async latest(id: string, options?: RequestOptions): Promise<LatestLog> {
    const res = await this.#t.request(
      {
        method: "GET",
        base: "console",
        path: path`/v1/hosting/game/logs/${serverId("logs.latest", id)}/latest`,
        schema: LatestLogResponse,
        what: "logs.latest",
        requiredScope: CONSOLE_SCOPES.logs,
      },
      options,
    );
    return { serverId: res.server_id, empty: res.empty, content: res.content };
  }
}
