import { z } from "zod";

/**
 * Close codes a fault may send: the RFC 6455 codes an endpoint may put in a close frame
 * (1005, 1006 and 1015 are reserved for reporting and may not be sent), and the application
 * range 3000-4999 (see `CONSOLE_CLOSE_CODES` for the emulator's own).
 */
const CloseCode = z
  .int()
  .refine(
    (c) => [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014].includes(c) || (c >= 3000 && c <= 4999),
    "must be a close code an endpoint may send: 1000-1003, 1007-1014, or 3000-4999",
  );

/** Which open sockets a fault acts on: those streaming `serverId`, else every socket. */
const target = { serverId: z.string().min(1).optional() };

/**
 * `POST /_emulator/console/faults` body: one action on the console websockets, by `action`.
 * `drop`, `close`, `garbage` and `expire` act at once on the matching open sockets; `delay`
 * holds the next `frames` outgoing frames of matching sockets, open now or later.
 */
export const ConsoleFaultRequest = z.discriminatedUnion("action", [
  /** Destroy the TCP connection without a close frame (a dropped network path: 1006 at the client). */
  z.strictObject({ action: z.literal("drop"), ...target }),
  /** Close with this code and reason (e.g. 4004 server deleted, 4003 suspended). */
  z.strictObject({
    action: z.literal("close"),
    code: CloseCode,
    reason: z
      .string()
      .refine((r) => Buffer.byteLength(r) <= 123, "must be at most 123 bytes (RFC 6455 5.5)")
      .optional(),
    ...target,
  }),
  /** Hold each of the next `frames` outgoing frames `delayMs` longer; order is kept. */
  z.strictObject({
    action: z.literal("delay"),
    delayMs: z.int().min(1).max(60_000),
    frames: z.int().min(1).max(100_000).default(1),
    ...target,
  }),
  /** Send one text frame as it is, unvalidated. @default `{"event":"console output","args":[42]}` */
  z.strictObject({ action: z.literal("garbage"), frame: z.string().min(1).max(60_000).optional(), ...target }),
  /**
   * Expire the sockets' tokens now. `announce: false` skips the `token expired` frame, so the
   * client learns of the expiry only from `jwt error` frames (as Wings clients often do).
   */
  z.strictObject({ action: z.literal("expire"), announce: z.boolean().default(true), ...target }),
]);
export type ConsoleFaultRequest = z.infer<typeof ConsoleFaultRequest>;

/** The frame `garbage` sends unless told: valid JSON that breaks the server frame schema. */
export const DEFAULT_GARBAGE_FRAME = '{"event":"console output","args":[42]}';

/** `GET /_emulator/console/stats`: counters since the start or the last reset. */
export interface ConsoleStats {
  /** Websockets accepted. */
  socketsOpened: number;
  /** Websockets open now. */
  socketsOpen: number;
  /** Upgrade requests refused (a path other than /ws: 404; a malformed handshake: 400). */
  upgradesRejected: number;
  /** Frames received, valid or not. */
  framesIn: number;
  /** Frames sent, garbage included. */
  framesOut: number;
  /** `auth` frames. */
  authFrames: number;
  /** `auth` frames on a socket that had authenticated before (token refreshes). */
  refreshes: number;
  /** `send logs` frames answered with a replay. */
  replays: number;
  /** `send command` frames that reached the authorization check. */
  commands: number;
  /** Sockets dropped by a `drop` fault. */
  drops: number;
  /** Close frames the emulator sent, by code (faults, 4004 on delete, 1009, 1007, 1003, 1002, 1012). */
  closesSent: Record<string, number>;
}

/** The console websocket's counters. */
export class ConsoleCounters {
  #stats = ConsoleCounters.#zero();

  static #zero(): ConsoleStats {
    return {
      socketsOpened: 0,
      socketsOpen: 0,
      upgradesRejected: 0,
      framesIn: 0,
      framesOut: 0,
      authFrames: 0,
      refreshes: 0,
      replays: 0,
      commands: 0,
      drops: 0,
      closesSent: {},
    };
  }

  /** Adds one to a counter. */
  bump(counter: Exclude<keyof ConsoleStats, "closesSent">, by = 1): void {
    this.#stats[counter] += by;
  }

  closeSent(code: number): void {
    this.#stats.closesSent[code] = (this.#stats.closesSent[code] ?? 0) + 1;
  }

  /** Zeroes every counter but `socketsOpen` (sockets still open stay counted until they close). */
  reset(): void {
    const open = this.#stats.socketsOpen;
    this.#stats = ConsoleCounters.#zero();
    this.#stats.socketsOpen = open;
  }

  snapshot(): ConsoleStats {
    return { ...this.#stats, closesSent: { ...this.#stats.closesSent } };
  }
}

interface PendingDelay {
  serverId: string | undefined;
  delayMs: number;
  remaining: number;
}

/** Pending `delay` faults, consumed frame by frame in the order they were added. */
export class ConsoleDelays {
  #pending: PendingDelay[] = [];

  add(delayMs: number, frames: number, serverId: string | undefined): void {
    this.#pending.push({ serverId, delayMs, remaining: frames });
  }

  /** The delay for one outgoing frame of a socket streaming `serverId` (0: send now). */
  take(serverId: string | undefined): number {
    const i = this.#pending.findIndex((d) => d.serverId === undefined || d.serverId === serverId);
    const delay = this.#pending[i];
    if (!delay) return 0;
    if (--delay.remaining === 0) this.#pending.splice(i, 1);
    return delay.delayMs;
  }

  clear(): void {
    this.#pending = [];
  }
}

/**
 * The close code `ws` sends for each of its protocol errors (it closes the socket itself and
 * then emits `error`; without a listener that `error` used to end the emulator process).
 */
export function closeCodeOfProtocolError(error: Error): number {
  const code = (error as { code?: unknown }).code;
  if (code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH" || code === "WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH") return 1009;
  if (code === "WS_ERR_INVALID_UTF8") return 1007;
  if (code === "WS_ERR_TOO_MANY_BUFFERED_PARTS") return 1008;
  return 1002;
}
