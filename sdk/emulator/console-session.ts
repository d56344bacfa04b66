import type { RawData, WebSocket } from "ws";
import type { z } from "zod";
import {
  CLIENT_EVENTS,
  CONNECT_PERMISSION,
  ConsoleClientFrame,
  ConsoleFrame,
  ConsoleServerFrame,
  SEND_COMMAND_PERMISSION,
  SERVER_EVENTS,
} from "../schemas/index.js";
import { type ConsoleCounters, type ConsoleDelays, closeCodeOfProtocolError } from "./console-faults.js";
import type { ConsoleToken } from "./game-console.js";
import { HttpError } from "./http-error.js";
import type { EmulatorState } from "./state.js";

/** Lines replayed by `send logs`. */
const REPLAY_LINES = 100;
/**
 * What Wings says, as `jwt error`, for a frame sent or due while the token is past its `exp`
 * (gbrlsnchs/jwt's ErrExpValidation): console lines are dropped and this comes instead.
 */
export const EXPIRED_TOKEN_MESSAGE = "jwt: exp claim is invalid";

const CLIENT_EVENT_NAMES = new Set<string>(Object.values(CLIENT_EVENTS));

/** A frame the emulator sends: built against the shared server frame schema. */
type ServerFrameInput = z.input<typeof ConsoleServerFrame>;

/**
 * One console websocket, speaking the Pterodactyl/Wings frame protocol: `auth` -> `auth success`,
 * then `console output` and `status` for the token's server; `token expiring` before the
 * token's end and `token expired` at it; re-`auth` on the same socket with a fresh token.
 */
export class Session {
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
      this.state.console.server(this.#grant.organizationId, this.#grant.serverId);
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
      for (const line of this.state.console.logOf(grant.serverId).slice(-REPLAY_LINES)) {
        this.send({ event: SERVER_EVENTS.consoleOutput, args: [line] });
      }
      return;
    }
    this.#command(grant, frame.args[0]);
  }

  #auth(value: string): void {
    this.counters.bump("authFrames");
    if (this.#grant) this.counters.bump("refreshes");
    const grant = this.state.console.redeemToken(value);
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
        const server = this.state.servers.get(grant.organizationId, grant.serverId);
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
      this.state.console.runCommand(grant.serverId, command);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      this.send({ event: SERVER_EVENTS.daemonError, args: [error.message] });
    }
  }
}
