import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { CLIENT_EVENTS, ConsoleFrame, SERVER_EVENTS } from "../schemas/index.js";
import { HttpError } from "./http-error.js";
import type { ConsoleToken, EmulatorState } from "./state.js";

/** Path of the console websocket on the emulator (`socket_url` points here). */
export const CONSOLE_SOCKET_PATH = "/ws";
/** Lines replayed by `send logs`. */
const REPLAY_LINES = 100;

/**
 * The console websocket, speaking the Pterodactyl/Wings frame protocol (see the emulator's
 * README): `auth` -> `auth success`, then `console output` and `status` for the token's
 * server; `token expiring` before the token's end and `token expired` at it; re-`auth` on the
 * same socket with a fresh token.
 */
export class ConsoleSockets {
  readonly #state: EmulatorState;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  readonly #sessions = new Set<Session>();

  constructor(state: EmulatorState) {
    this.#state = state;
    state.on("log", (serverId: string, line: string) => {
      for (const s of this.#sessions) if (s.live(serverId)) s.send(SERVER_EVENTS.consoleOutput, line);
    });
    state.on("status", (serverId: string, status: string) => {
      for (const s of this.#sessions) if (s.live(serverId)) s.send(SERVER_EVENTS.status, status);
    });
    state.on("reset", () => this.closeAll(1012, "emulator reset"));
  }

  /** Handles an HTTP upgrade; answers 404 for any path but the console socket. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://emulator");
    if (url.pathname !== CONSOLE_SOCKET_PATH) {
      socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new Session(this.#state, ws);
      this.#sessions.add(session);
      ws.on("close", () => {
        session.dispose();
        this.#sessions.delete(session);
      });
    });
  }

  closeAll(code = 1001, reason = "emulator closing"): void {
    for (const s of this.#sessions) s.close(code, reason);
  }

  close(): void {
    this.closeAll();
    this.#wss.close();
  }
}

class Session {
  #grant: ConsoleToken | undefined;
  #expired = false;
  #timers: NodeJS.Timeout[] = [];

  constructor(
    readonly state: EmulatorState,
    readonly ws: WebSocket,
  ) {
    ws.on("message", (data, isBinary) => this.#onMessage(isBinary ? "" : data.toString()));
  }

  /** Is this session streaming `serverId` with a token that has not expired? */
  live(serverId: string): boolean {
    return this.#grant?.serverId === serverId && !this.#expired;
  }

  send(event: string, ...args: unknown[]): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(args.length ? { event, args } : { event }));
  }

  close(code: number, reason: string): void {
    this.dispose();
    this.ws.close(code, reason);
  }

  dispose(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
  }

  #onMessage(text: string): void {
    let frame: ConsoleFrame;
    try {
      frame = ConsoleFrame.parse(JSON.parse(text));
    } catch {
      this.send(SERVER_EVENTS.daemonError, 'Frames are JSON objects: {"event": "...", "args": [...]}');
      return;
    }
    const arg = frame.args?.[0];
    switch (frame.event) {
      case CLIENT_EVENTS.auth:
        this.#auth(typeof arg === "string" ? arg : "");
        return;
      case CLIENT_EVENTS.sendLogs:
        if (!this.#authorized()) return;
        for (const line of this.state.logOf(this.#grant!.serverId).slice(-REPLAY_LINES)) this.send(SERVER_EVENTS.consoleOutput, line);
        return;
      case CLIENT_EVENTS.sendCommand:
        this.#command(typeof arg === "string" ? arg : "");
        return;
      default:
        this.send(SERVER_EVENTS.daemonError, `Unknown event "${frame.event}"`);
    }
  }

  #auth(value: string): void {
    const grant = this.state.redeemToken(value);
    if (!grant) {
      this.send(SERVER_EVENTS.jwtError, "The token is invalid or has expired: request fresh bootstrap data");
      return;
    }
    if (this.#grant && this.#grant.serverId !== grant.serverId) {
      this.send(SERVER_EVENTS.jwtError, "The token is for another server: open a new socket for it");
      return;
    }
    const first = this.#grant === undefined || this.#expired;
    this.dispose();
    this.#grant = grant;
    this.#expired = false;
    const remaining = grant.expiresAt - Date.now();
    // Warn a quarter of the lifetime ahead, at most a minute (Wings warns a minute ahead).
    const warnAhead = Math.min(60_000, Math.floor(grant.ttlMs / 4));
    this.#timers.push(
      setTimeout(() => this.send(SERVER_EVENTS.tokenExpiring), Math.max(0, remaining - warnAhead)),
      setTimeout(() => {
        this.#expired = true;
        this.send(SERVER_EVENTS.tokenExpired);
      }, remaining),
    );
    this.send(SERVER_EVENTS.authSuccess);
    if (first) {
      try {
        const server = this.state.get(grant.organizationId, grant.serverId);
        this.send(SERVER_EVENTS.status, server.status);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
      }
    }
  }

  #authorized(): boolean {
    if (!this.#grant) {
      this.send(SERVER_EVENTS.jwtError, "Not authenticated: send auth with a token first");
      return false;
    }
    if (this.#expired) {
      this.send(SERVER_EVENTS.tokenExpired);
      return false;
    }
    return true;
  }

  #command(command: string): void {
    if (!this.#authorized()) return;
    if (!this.#grant!.readWrite) {
      this.send(SERVER_EVENTS.daemonError, "This console stream is read-only: commands need a game-console:read_write key");
      return;
    }
    if (!command.trim()) {
      this.send(SERVER_EVENTS.daemonError, "send command needs a command");
      return;
    }
    try {
      this.state.runCommand(this.#grant!.serverId, command);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      this.send(SERVER_EVENTS.daemonError, error.message);
    }
  }
}
