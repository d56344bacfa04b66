import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { CONSOLE_CLOSE_CODES, SERVER_EVENTS } from "../schemas/index.js";
import { ConsoleCounters, ConsoleDelays, ConsoleFaultRequest, type ConsoleStats, DEFAULT_GARBAGE_FRAME } from "./console-faults.js";
import { Session } from "./console-session.js";
import { invalid } from "./http-error.js";
import type { EmulatorState } from "./state.js";

/** Path of the console websocket on the emulator (`socket_url` points here). */
export const CONSOLE_SOCKET_PATH = "/ws";
/** Largest frame accepted, in bytes; a larger one closes its socket with 1009. @default 65536 */
export const MAX_FRAME_BYTES = 64 * 1024;

/**
 * The emulator's console websockets (see its README, "Console websocket"): the upgrade, a
 * {@link Session} per socket, and the faults and counters of `/_emulator/console/*`. Malformed
 * input closes only the socket that sent it.
 */
export class ConsoleSockets {
  readonly #state: EmulatorState;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, clientTracking: false });
  readonly #sessions = new Set<Session>();
  readonly #counters = new ConsoleCounters();
  readonly #delays = new ConsoleDelays();

  constructor(state: EmulatorState) {
    this.#state = state;
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

  /** `POST /_emulator/console/faults`: 400 INVALID_PARAMS when the body is malformed. */
  applyFault(body: unknown): { ok: true; sockets: number } {
    const parsed = ConsoleFaultRequest.safeParse(body ?? {});
    if (!parsed.success) throw invalid(parsed.error.issues);
    return { ok: true, sockets: this.#fault(parsed.data) };
  }

  /** Applies one fault; returns how many open sockets it matched. */
  #fault(fault: ConsoleFaultRequest): number {
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

  /** `GET /_emulator/console/stats`. */
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
