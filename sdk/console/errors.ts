import { GameServersError } from "../core/errors.js";
import { CONSOLE_CLOSE_CODES } from "../schemas/console.js";

/** The console websocket was closed by the server with a code that ends the stream. */
export class ConsoleStreamClosedError extends GameServersError {
  override name = "ConsoleStreamClosedError";
  readonly serverId: string;
  /** The websocket close code (RFC 6455; 4000-4999 are the API's own). */
  readonly closeCode: number;
  readonly closeReason: string;
  constructor(serverId: string, closeCode: number, closeReason: string) {
    super(`The console stream of ${serverId} was closed by the server: ${closeCode}${closeReason ? ` ${closeReason}` : ""}`);
    this.serverId = serverId;
    this.closeCode = closeCode;
    this.closeReason = closeReason;
  }
}
/** Close code 4004: the server was deleted. */
export class ConsoleServerDeletedError extends ConsoleStreamClosedError {
  override name = "ConsoleServerDeletedError";
}
/** Close code 4003: the server is suspended. */
export class ConsoleServerSuspendedError extends ConsoleStreamClosedError {
  override name = "ConsoleServerSuspendedError";
}

/** The one factory from a close code to its error. */
export function makeConsoleCloseError(serverId: string, code: number, reason: string): ConsoleStreamClosedError {
  if (code === CONSOLE_CLOSE_CODES.serverDeleted) return new ConsoleServerDeletedError(serverId, code, reason);
  if (code === CONSOLE_CLOSE_CODES.serverSuspended) return new ConsoleServerSuspendedError(serverId, code, reason);
  return new ConsoleStreamClosedError(serverId, code, reason);
}

/**
 * Does a close code end the stream for good? The application range (3000-4999: the server says
 * why) and the codes that blame this client's frames (retrying would send them again). Every
 * other close (1000, 1001, 1006 dropped, 1011, 1012 restart, ...) is reconnected.
 */
export function isFinalCloseCode(code: number): boolean {
  return (code >= 3000 && code <= 4999) || [1002, 1003, 1007, 1008, 1009, 1010].includes(code);
}

/** A read-only stream (a `game-console:read` key) cannot send commands. Nothing was sent. */
export class ConsoleReadOnlyError extends GameServersError {
  override name = "ConsoleReadOnlyError";
  /** The scope sending needs. */
  readonly requiredScope = "game-console:read_write";
  constructor(serverId: string) {
    super(`The console stream of ${serverId} is read-only: sending commands requires game-console:read_write`);
  }
}

/** A frame that is not a valid server frame. `field` names the first offending field. */
export class ConsoleFrameError extends GameServersError {
  override name = "ConsoleFrameError";
  readonly field: string;
  constructor(message: string, field: string) {
    super(message);
    this.field = field;
  }
}

/** A `daemon error` frame: the server refused or failed a request of this stream. */
export class ConsoleDaemonError extends GameServersError {
  override name = "ConsoleDaemonError";
}

/** A `jwt error` frame that is not about expiry: a stream token was refused. */
export class ConsoleTokenError extends GameServersError {
  override name = "ConsoleTokenError";
}
