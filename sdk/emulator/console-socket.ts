import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import type { z } from "zod";
import {
  CLIENT_EVENTS,
  CONNECT_PERMISSION,
  CONSOLE_CLOSE_CODES,
  ConsoleClientFrame,
  ConsoleFrame,
  ConsoleServerFrame,
  SEND_COMMAND_PERMISSION,
  SERVER_EVENTS,
} from "../schemas/index.js";
import {
  ConsoleCounters,
  ConsoleDelays,
  ConsoleFaultRequest,
  type ConsoleStats,
  closeCodeOfProtocolError,
  DEFAULT_GARBAGE_FRAME,
} from "./console-faults.js";
import { HttpError, invalid } from "./http-error.js";
import type { ConsoleToken, EmulatorState } from "./state.js";

/** Path of the console websocket on the emulator (`socket_url` points here). */
export const CONSOLE_SOCKET_PATH = "/ws";
/** Lines replayed by `send logs`. */
const REPLAY_LINES = 100;
/** Largest frame accepted, in bytes; a larger one closes its socket with 1009. @default 65536 */
export const MAX_FRAME_BYTES = 64 * 1024;
/**
 * What Wings says, as `jwt error`, for a frame sent or due while the token is past its `exp`
 * (gbrlsnchs/jwt's ErrExpValidation): console lines are dropped and this comes instead.
 */
export const EXPIRED_TOKEN_MESSAGE = "jwt: exp claim is invalid";

const CLIENT_EVENT_NAMES = new Set<string>(Object.values(CLIENT_EVENTS));

/** The console websockets of each emulator, for its control routes. */
const registry = new WeakMap<EmulatorState, ConsoleSockets>();

/** `/_emulator/console/*`: faults and counters of the console websockets of `state`'s emulator. */
export function consoleControl(state: EmulatorState): {
  /** Applies a `POST /_emulator/console/faults` body; 400 INVALID_PARAMS when it is malformed. */
  fault(body: unknown): { ok: true; sockets: number };
  stats(): ConsoleStats;
} {
  const sockets = registry.get(state);
  if (!sockets) throw new HttpError(404, "NOT_FOUND", "This emulator serves no console websocket");
  return {
    fault: (body) => {
      const parsed = ConsoleFaultRequest.safeParse(body ?? {});
      if (!parsed.success) throw invalid(parsed.error.issues);
      return { ok: true, sockets: sockets.fault(parsed.data) };
    },
    stats: () => sockets.stats(),
  };
}

/**
 * The console websocket, speaking the Pterodactyl/Wings frame protocol (see the emulator's
 * README): `auth` -> `auth success`, then `console output` and `status` for the token's
 * server; `token expiring` before the token's end and `token expired` at it; re-`auth` on the
 * same socket with a fresh token. Malformed input closes only the socket that sent it.
 */
export class ConsoleSockets {
  readonly #state: EmulatorState;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, clientTracking: false });
  readonly #sessions = new Set<Session>();
  readonly #counters = new ConsoleCounters();
  readonly #delays = new ConsoleDelays();

  constructor(state: EmulatorState) {
    this.#state = state;
    registry.set(state, this);
    // A malformed handshake (no key, wrong version): answered 400, counted, never thrown.
    this.#wss.on("wsClientError", (_error, socket) => {
      this.#counters.bump("upgradesRejected");
      socket.end("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    });
    state.on("log", (serverId: string, line: string) => {
      for (const s of this.#sessions) if (s.serverId === serverId) s.deliver({ event: SERVER_EVENTS.consoleOutput, args: [line] });
    });
    state.on("status", (serverId: string, status: string) => {
      for (const s of this.#sessions) {
        if (s.serverId !== serverId) continue;
        s.deliver({ event: SERVER_EVENTS.status, args: [status] });
        if (s.serverDeleted()) s.close(CONSOLE_CLOSE_CODES.serverDeleted, "server deleted");
      }
    });
    state.on("reset", () => {
      this.closeAll(1012, "emulator reset");
      this.#counters.reset();
      this.#delays.clear();
    });
  }

  /** Handles an HTTP upgrade; answers 404 for any path but the console socket. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A client may reset the connection at any point of the handshake: never an unhandled error.
    socket.on("error", () => socket.destroy());
    const url = new URL(req.url ?? "/", "http://emulator");
    if (url.pathname !== CONSOLE_SOCKET_PATH) {
      this.#counters.bump("upgradesRejected");
      socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new Session(this.#state, ws, this.#counters, this.#delays);
      this.#sessions.add(session);
      this.#counters.bump("socketsOpened");
      this.#counters.bump("socketsOpen");
      ws.on("close", () => {
        session.dispose();
        this.#sessions.delete(session);
        this.#counters.bump("socketsOpen", -1);
      });
    });
  }

  /** Applies one fault; returns how many open sockets it matched. */
  fault(fault: ConsoleFaultRequest): number {
    const targets = [...this.#sessions].filter((s) => fault.serverId === undefined || s.serverId === fault.serverId);
    switch (fault.action) {
      case "drop":
        for (const s of targets) s.drop();
        break;
      case "close":
        for (const s of targets) s.close(fault.code, fault.reason ?? "closed by an emulator fault");
        break;
      case "garbage":
        for (const s of targets) s.sendRaw(fault.frame ?? DEFAULT_GARBAGE_FRAME);
        break;
      case "expire":
        for (const s of targets) s.expire(fault.announce);
        break;
      case "delay":
        this.#delays.add(fault.delayMs, fault.frames, fault.serverId);
        break;
    }
    return targets.length;
  }

  stats(): ConsoleStats {
    return this.#counters.snapshot();
  }

  closeAll(code = 1001, reason = "emulator closing"): void {
    for (const s of this.#sessions) s.close(code, reason);
  }

  close(): void {
    this.closeAll();
    this.#wss.close();
  }
}

/** A frame the emulator sends: built against the shared server frame schema. */
type ServerFrameInput = z.input<typeof ConsoleServerFrame>;

class Session {
  #grant: ConsoleToken | undefined;
  #expired = false;
  #tokenTimers: NodeJS.Timeout[] = [];
  /** Frames held by `delay` faults, in order, each with the epoch ms it is due. */
  #outbox: { text: string; dueAt: number }[] = [];
  #outboxTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly state: EmulatorState,
    readonly ws: WebSocket,
    readonly counters: ConsoleCounters,
    readonly delays: ConsoleDelays,
  ) {
    ws.on("message", (data, isBinary) => this.#onMessage(data, isBinary));
    // ws closes the socket itself (1009 too large, 1007 invalid UTF-8, 1002 protocol error) and
    // then emits `error`: handled here, so bad input ends this socket, never the process.
    ws.on("error", (error) => this.counters.closeSent(closeCodeOfProtocolError(error)));
  }

  /** The server this socket streams (bound by its first accepted token). */
  get serverId(): string | undefined {
    return this.#grant?.serverId;
  }

  /**
   * A server event (a console line, a status) for this socket. While the token is expired the
   * event is dropped and `jwt error` comes instead, as Wings does: nothing is buffered.
   */
  deliver(frame: ServerFrameInput): void {
    if (!this.#grant) return;
    this.send(this.#isExpired() ? { event: SERVER_EVENTS.jwtError, args: [EXPIRED_TOKEN_MESSAGE] } : frame);
  }

  /** Sends a frame, validated by the shared schema (a frame breaking it is an emulator bug). */
  send(frame: ServerFrameInput): void {
    this.sendRaw(JSON.stringify(ConsoleServerFrame.parse(frame)));
  }

  /** Sends text as it is, through the `delay` faults. */
  sendRaw(text: string): void {
    const delay = this.delays.take(this.serverId);
    if (delay === 0 && this.#outbox.length === 0) {
      this.#write(text);
      return;
    }
    const now = Date.now();
    this.#outbox.push({ text, dueAt: Math.max(now + delay, this.#outbox.at(-1)?.dueAt ?? now) });
    this.#pump();
  }

  /** Is the streamed server deleted (so the socket closes with 4004)? */
  serverDeleted(): boolean {
    if (!this.#grant) return false;
    try {
      this.state.consoleServer(this.#grant.organizationId, this.#grant.serverId);
      return false;
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) return true;
      throw error;
    }
  }

  /** Expires the token now (it stays expired for every socket holding it). */
  expire(announce: boolean): void {
    if (!this.#grant || this.#expired) return;
    this.#clearTokenTimers();
    this.#grant.expiresAt = Math.min(this.#grant.expiresAt, Date.now());
    this.#expired = true;
    if (announce) this.send({ event: SERVER_EVENTS.tokenExpired });
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState !== this.ws.OPEN && this.ws.readyState !== this.ws.CONNECTING) return;
    this.counters.closeSent(code);
    this.dispose();
    this.ws.close(code, reason);
  }

  /** Destroys the connection without a close frame. */
  drop(): void {
    this.counters.bump("drops");
    this.dispose();
    this.ws.terminate();
  }

  dispose(): void {
    this.#clearTokenTimers();
    clearTimeout(this.#outboxTimer);
    this.#outboxTimer = undefined;
    this.#outbox = [];
  }

  #write(text: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(text);
    this.counters.bump("framesOut");
  }

  #pump(): void {
    const head = this.#outbox[0];
    if (this.#outboxTimer || !head) return;
    this.#outboxTimer = setTimeout(
      () => {
        this.#outboxTimer = undefined;
        const now = Date.now();
        while (this.#outbox[0] && this.#outbox[0].dueAt <= now) this.#write(this.#outbox.shift()!.text);
        this.#pump();
      },
      Math.max(0, head.dueAt - Date.now()),
    );
  }

  #clearTokenTimers(): void {
    for (const t of this.#tokenTimers) clearTimeout(t);
    this.#tokenTimers = [];
  }

  #isExpired(): boolean {
    return this.#expired || (this.#grant !== undefined && this.#grant.expiresAt <= Date.now());
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    this.counters.bump("framesIn");
    if (isBinary) {
      this.close(1003, "frames are JSON text; binary frames are not accepted");
      return;
    }
    try {
      this.#handle(data.toString());
    } catch (error) {
      // A bug of ours must not end the process, nor leave the client without an answer.
      console.error("[emulator] console websocket", error);
      this.send({ event: SERVER_EVENTS.daemonError, args: ["Internal emulator error"] });
    }
  }

  #handle(text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.send({ event: SERVER_EVENTS.daemonError, args: ['Frames are JSON objects: {"event": "...", "args": [...]}'] });
      return;
    }
    const parsed = ConsoleClientFrame.safeParse(json);
    if (!parsed.success) {
      const generic = ConsoleFrame.safeParse(json);
      if (generic.success && !CLIENT_EVENT_NAMES.has(generic.data.event)) {
        this.send({ event: SERVER_EVENTS.daemonError, args: [`Unknown event "${generic.data.event}"`] });
        return;
      }
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? issue.path.join(".") : "frame";
      const what = generic.success ? `"${generic.data.event}" frame` : "frame";
      this.send({ event: SERVER_EVENTS.daemonError, args: [`Malformed ${what}: ${where} ${issue?.message ?? "is invalid"}`] });
      return;
    }
    const frame = parsed.data;
    if (frame.event === CLIENT_EVENTS.auth) {
      this.#auth(frame.args[0]);
      return;
    }
    if (frame.event === CLIENT_EVENTS.sendCommand) this.counters.bump("commands");
    if (!this.#authorized()) return;
    const grant = this.#grant!;
    if (frame.event === CLIENT_EVENTS.sendLogs) {
      this.counters.bump("replays");
      for (const line of this.state.logOf(grant.serverId).slice(-REPLAY_LINES)) {
        this.send({ event: SERVER_EVENTS.consoleOutput, args: [line] });
      }
      return;
    }
    this.#command(grant, frame.args[0]);
  }

  #auth(value: string): void {
    this.counters.bump("authFrames");
    if (this.#grant) this.counters.bump("refreshes");
    const grant = this.state.redeemToken(value);
    if (!grant) {
      this.send({ event: SERVER_EVENTS.jwtError, args: ["The token is invalid or has expired: request fresh bootstrap data"] });
      return;
    }
    if (this.#grant && this.#grant.serverId !== grant.serverId) {
      this.send({ event: SERVER_EVENTS.jwtError, args: ["The token is for another server: open a new socket for it"] });
      return;
    }
    // Status is sent after the first auth, and again after an expiry: changes were dropped then.
    const first = this.#grant === undefined || this.#isExpired();
    this.#clearTokenTimers();
    this.#grant = grant;
    this.#expired = false;
    const remaining = grant.expiresAt - Date.now();
    // Warn a quarter of the lifetime ahead, at most a minute (Wings warns a minute ahead).
    const warnAhead = Math.min(60_000, Math.floor(grant.ttlMs / 4));
    this.#tokenTimers.push(
      setTimeout(() => this.send({ event: SERVER_EVENTS.tokenExpiring }), Math.max(0, remaining - warnAhead)),
      setTimeout(() => this.expire(true), remaining),
    );
    // Wings' tokens carry their permissions (a JWT claim); ours are opaque, so auth success says them.
    const permissions = grant.readWrite ? [CONNECT_PERMISSION, SEND_COMMAND_PERMISSION] : [CONNECT_PERMISSION];
    this.send({ event: SERVER_EVENTS.authSuccess, args: permissions });
    if (first) {
      try {
        const server = this.state.get(grant.organizationId, grant.serverId);
        this.send({ event: SERVER_EVENTS.status, args: [server.status] });
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
      }
    }
  }

  #authorized(): boolean {
    if (!this.#grant) {
      this.send({ event: SERVER_EVENTS.jwtError, args: ["Not authenticated: send auth with a token first"] });
      return false;
    }
    if (this.#isExpired()) {
      this.send({ event: SERVER_EVENTS.jwtError, args: [EXPIRED_TOKEN_MESSAGE] });
      return false;
    }
    return true;
  }

  #command(grant: ConsoleToken, command: string): void {
    if (!grant.readWrite) {
      this.send({
        event: SERVER_EVENTS.daemonError,
        args: ["This console stream is read-only: commands need a game-console:read_write key"],
      });
      return;
    }
    if (!command.trim()) {
      this.send({ event: SERVER_EVENTS.daemonError, args: ["send command needs a command"] });
      return;
    }
    try {
      this.state.runCommand(grant.serverId, command);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      this.send({ event: SERVER_EVENTS.daemonError, args: [error.message] });
    }
  }
}
