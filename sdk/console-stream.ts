import { type Dispatcher, WebSocket } from "undici";
import type { Clock } from "./core/clock.js";
import { APIConnectionError, APIUserAbortError, formatPath, GameServersError, isTransientError } from "./core/errors.js";
import { backoffDelay } from "./internal/retry.js";
import {
  CLIENT_EVENTS,
  CONSOLE_CLOSE_CODES,
  type ConsoleClientFrame,
  ConsoleServerFrame,
  IGNORED_SERVER_EVENTS,
  SEND_COMMAND_PERMISSION,
  SERVER_EVENTS,
} from "./schemas/console.js";

/** Options of `client.console.connect`. */
export interface ConsoleConnectOptions {
  /** Closes the stream when it aborts (the last event is then `closed` with reason `aborted`). */
  signal?: AbortSignal;
  /**
   * Reconnect attempts in a row before giving up; the count starts again once a socket
   * authenticates. @default 5
   */
  maxReconnects?: number;
  /**
   * Replay recent lines on the first connect (`send logs`: Wings replays the log's tail). That
   * first replay is delivered as it comes, so a line logged in the instant between the
   * authentication and the replay can show twice. Reconnects, and a token that expired before
   * its refresh, resume with a replay deduplicated against the lines already delivered.
   * @default true
   */
  replay?: boolean;
}

/** One event of a console stream. `closed` is always the last one. */
export type ConsoleEvent =
  /** A socket authenticated (once per socket; a token refresh is `token-refreshed`). */
  | { type: "authenticated" }
  /** One console line, delivered once. */
  | { type: "output"; line: string }
  /** The server's status (`running`, `stopped`, ...). */
  | { type: "status"; status: string }
  /** A fresh token was accepted on the same socket. */
  | { type: "token-refreshed" }
  /** The socket was lost; another is opened after `delayMs`. `attempt` counts from 1. */
  | { type: "reconnecting"; attempt: number; delayMs: number; reason: string }
  /**
   * The stream resumed after lines could have been lost (a new socket, or a token that expired
   * before its refresh): the replay was deduplicated against the lines already delivered, and
   * `mayHaveMissedLines` is true when it did not overlap them (a gap is possible).
   */
  | { type: "resumed"; mayHaveMissedLines: boolean }
  /** A malformed frame, a `daemon error`, a refused token: the stream goes on. */
  | { type: "error"; error: Error }
  /** The last event. `error` is set when the stream ended abnormally. */
  | { type: "closed"; reason: string; error?: Error };

/** A live console: an async iterable of {@link ConsoleEvent}s, and a way to send commands. */
export interface ConsoleStream extends AsyncIterable<ConsoleEvent> {
  readonly serverId: string;
  /** True when the token cannot send commands (a `game-console:read` key). Known once `ready` resolves. */
  readonly readOnly: boolean;
  /**
   * Sends one console command once the stream is ready, through the documented command
   * endpoint (`POST .../command`: acknowledged, typed errors, never repeated blindly). Rejects
   * with {@link ConsoleReadOnlyError} on a read-only stream, before anything is sent.
   */
  send(command: string): Promise<void>;
  /** Closes the stream; idempotent. The last event is `closed` with reason `closed`. */
  close(): Promise<void>;
  /** Resolves once authenticated; rejects with the typed error when bootstrap or auth fails. */
  ready: Promise<void>;
}

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

/**
 * Which lines of a replay are new. The replay (`send logs`) is the log's tail, with no sequence
 * numbers; `history` is the tail of what was delivered. The replay overlaps the end of the
 * history unless more lines were missed than it holds: the longest run of received lines
 * matching the history's last lines marks the overlap (the latest one on a tie: never a line
 * twice), and only what follows it is new. Lines received before that run (older replay lines,
 * or live lines that the replay repeats) are dropped.
 * @returns `fresh`, the lines to deliver, and `overlap`, the matched run's length (0: none)
 */
export function dedupeReplay(history: readonly string[], received: readonly string[]): { fresh: string[]; overlap: number } {
  let best = 0;
  let bestEnd = -1;
  for (let p = 0; p < received.length; p++) {
    let k = 0;
    while (k <= p && k < history.length && received[p - k] === history[history.length - 1 - k]) k++;
    if (k > 0 && k >= best) {
      best = k;
      bestEnd = p;
    }
  }
  return { fresh: received.slice(bestEnd + 1), overlap: best };
}

/** Lines kept to deduplicate a replay against (Wings replays 150 by default, the emulator 100). */
const HISTORY_LINES = 1_000;
/** A replay is over once no line came for this long. @default 150 ms */
const REPLAY_QUIET_MS = 150;
/** ... or after this long in any case (a chatty server is never quiet). @default 2000 ms */
const REPLAY_MAX_MS = 2_000;
/** No `auth success` within this long: the auth failed. @default 10000 ms */
const AUTH_TIMEOUT_MS = 10_000;
/** Tokens refused in a row (fresh bootstrap data each time) before the stream ends. */
const MAX_AUTH_ATTEMPTS = 3;
/** A `jwt error` about expiry (Wings: `jwt: exp claim is invalid`). */
const EXPIRY_MESSAGE = /\bexp\b.*claim|expired/i;

/** What the stream needs of the client. */
export interface ConsoleStreamDeps {
  bootstrap(id: string, options: { signal: AbortSignal }): Promise<{ socketUrl: string; token: string }>;
  sendCommand(id: string, command: string, options: { signal: AbortSignal }): Promise<unknown>;
  validateCommand(command: string): void;
  dispatcher: Dispatcher;
  clock: Clock;
}

type LinkEnd =
  | { kind: "stopped" }
  | { kind: "transient"; reason: string; error: Error; authenticated: boolean }
  | { kind: "final"; reason: string; error: Error };

/** Thrown inside a link to end it. */
class EndLink extends Error {
  constructor(readonly end: LinkEnd) {
    super("link ended");
  }
}

/**
 * The implementation of {@link ConsoleStream}: one socket at a time, reconnected as needed.
 * Events are buffered until read. Internal: `client.console.connect` builds it; only the
 * interface is exported from the SDK's entry point.
 */
export class LiveConsoleStream implements ConsoleStream {
  readonly serverId: string;
  readonly ready: Promise<void>;
  #readOnly = false;
  readonly #deps: ConsoleStreamDeps;
  readonly #maxReconnects: number;
  readonly #replay: boolean;
  readonly #stop = new AbortController();
  readonly #queue: ConsoleEvent[] = [];
  readonly #waiters: ((r: IteratorResult<ConsoleEvent>) => void)[] = [];
  readonly #history: string[] = [];
  #ended = false;
  #isReady = false;
  #resolveReady!: () => void;
  #rejectReady!: (e: Error) => void;
  #link: Link | undefined;
  #closeReason = "closed";
  readonly #done: Promise<void>;
  readonly #unlisten: () => void;

  constructor(deps: ConsoleStreamDeps, serverId: string, options: ConsoleConnectOptions = {}) {
    this.#deps = deps;
    this.serverId = serverId;
    this.#maxReconnects = options.maxReconnects ?? 5;
    this.#replay = options.replay ?? true;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // A caller that never awaits `ready` must not get an unhandled rejection.
    this.ready.catch(() => {});
    const signal = options.signal;
    const onAbort = () => void this.#halt("aborted");
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#unlisten = () => signal?.removeEventListener("abort", onAbort);
    if (signal?.aborted) this.#closeReason = "aborted";
    this.#done = signal?.aborted ? this.#finish("aborted") : this.#run();
  }

  get readOnly(): boolean {
    return this.#readOnly;
  }

  async send(command: string): Promise<void> {
    this.#deps.validateCommand(command);
    if (this.#ended) throw new GameServersError(`console.send: the console stream of ${this.serverId} is closed`);
    await this.ready;
    if (this.#readOnly) throw new ConsoleReadOnlyError(this.serverId);
    await this.#deps.sendCommand(this.serverId, command, { signal: this.#stop.signal });
  }

  close(): Promise<void> {
    return this.#halt("closed");
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsoleEvent> {
    return {
      next: () => {
        const event = this.#queue.shift();
        if (event) return Promise.resolve({ value: event, done: false });
        if (this.#ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.#waiters.push(resolve));
      },
      // Leaving a `for await` early closes the stream.
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }

  async #halt(reason: string): Promise<void> {
    if (!this.#stop.signal.aborted) {
      this.#closeReason = reason;
      this.#stop.abort(new APIUserAbortError(`The console stream was ${reason}`));
      this.#link?.end({ kind: "stopped" });
    }
    await this.#done;
  }

  #emit(event: ConsoleEvent): void {
    if (this.#ended) return;
    const waiter = this.#waiters.shift();
    if (waiter) waiter({ value: event, done: false });
    else this.#queue.push(event);
  }

  /** Delivers one line and remembers it for deduplicating replays. */
  deliver(line: string): void {
    this.#history.push(line);
    if (this.#history.length > HISTORY_LINES) this.#history.splice(0, this.#history.length - HISTORY_LINES);
    this.#emit({ type: "output", line });
  }

  /** Delivers what a replay adds, after the `resumed` event that announces it. */
  resume(replayed: string[]): void {
    const { fresh, overlap } = dedupeReplay(this.#history, replayed);
    this.#emit({ type: "resumed", mayHaveMissedLines: this.#history.length > 0 && overlap === 0 });
    for (const line of fresh) this.deliver(line);
  }

  get historyLength(): number {
    return this.#history.length;
  }

  emit(event: ConsoleEvent): void {
    this.#emit(event);
  }

  authenticated(readOnly: boolean): void {
    this.#readOnly = readOnly;
    this.#emit({ type: "authenticated" });
    if (!this.#isReady) {
      this.#isReady = true;
      this.#resolveReady();
    }
  }

  async #run(): Promise<void> {
    let failures = 0;
    let everAuthenticated = false;
    for (;;) {
      const link = new Link(this, this.#deps, this.#stop.signal, { first: !everAuthenticated, replay: this.#replay });
      this.#link = link;
      const end = await link.run();
      this.#link = undefined;
      if (this.#stop.signal.aborted || end.kind === "stopped") return this.#finish(this.#closeReason);
      if (end.kind === "final") return this.#finish(end.reason, end.error);
      if (end.authenticated) {
        everAuthenticated = true;
        failures = 0;
      }
      failures++;
      if (failures > this.#maxReconnects) {
        const error = new APIConnectionError(
          `The console stream of ${this.serverId} gave up after ${this.#maxReconnects} reconnect attempts: ${end.reason}`,
          { cause: end.error },
        );
        return this.#finish(`gave up after ${this.#maxReconnects} reconnect attempts`, error);
      }
      const delayMs = backoffDelay(failures);
      this.#emit({ type: "reconnecting", attempt: failures, delayMs, reason: end.reason });
      try {
        await this.#deps.clock.sleep(delayMs, this.#stop.signal);
      } catch {
        return this.#finish(this.#closeReason);
      }
    }
  }

  async #finish(reason: string, error?: Error): Promise<void> {
    if (this.#ended) return;
    this.#unlisten();
    if (!this.#isReady) this.#rejectReady(error ?? new APIUserAbortError(`The console stream was ${reason} before it was ready`));
    this.#emit(error ? { type: "closed", reason, error } : { type: "closed", reason });
    this.#ended = true;
    for (const waiter of this.#waiters.splice(0)) waiter({ value: undefined, done: true });
  }
}

/** One websocket, from bootstrap to close: auth, token refreshes, replays. */
class Link {
  readonly #stream: LiveConsoleStream;
  readonly #deps: ConsoleStreamDeps;
  readonly #abort = new AbortController();
  readonly #signal: AbortSignal;
  readonly #first: boolean;
  readonly #replay: boolean;
  #ws: WebSocket | undefined;
  #opened = false;
  #authenticated = false;
  #settle!: (end: LinkEnd) => void;
  readonly #ended: Promise<LinkEnd>;
  #isEnded = false;
  /** The pending auth: resolved by `auth success`, rejected by a refusal. */
  #authWait: { token: string; resolve: () => void; reject: (e: Error) => void } | undefined;
  #refreshing: Promise<void> | undefined;
  /** Set when the token expired before a refresh landed: lines were dropped, replay after it. */
  #linesLost = false;
  /** Lines held while a replay is read; undefined when none is. */
  #replayed: string[] | undefined;
  #replayTimers: NodeJS.Timeout[] = [];

  constructor(stream: LiveConsoleStream, deps: ConsoleStreamDeps, stop: AbortSignal, options: { first: boolean; replay: boolean }) {
    this.#stream = stream;
    this.#deps = deps;
    this.#signal = AbortSignal.any([stop, this.#abort.signal]);
    this.#first = options.first;
    this.#replay = options.replay;
    this.#ended = new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  /** Connects, authenticates, and resolves once this socket is over. */
  async run(): Promise<LinkEnd> {
    void this.#start().catch((error: unknown) => this.end(this.#endOf(error)));
    return this.#ended;
  }

  end(end: LinkEnd): void {
    if (this.#isEnded) return;
    this.#isEnded = true;
    this.#clearReplay();
    this.#abort.abort();
    this.#authWait?.reject(new EndLink(end));
    const ws = this.#ws;
    if (ws && (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING)) ws.close(1000);
    this.#settle(end);
  }

  async #start(): Promise<void> {
    const boot = await this.#bootstrap();
    const ws = new WebSocket(boot.socketUrl, { dispatcher: this.#deps.dispatcher });
    this.#ws = ws;
    ws.binaryType = "arraybuffer";
    ws.addEventListener("open", () => {
      this.#opened = true;
      void this.#authenticate(boot.token).catch((error: unknown) => this.end(this.#endOf(error)));
    });
    ws.addEventListener("message", (e) => this.#onMessage(e.data));
    ws.addEventListener("close", (e) => this.#onClose(e.code, e.reason));
    // `error` is always followed by `close`, which decides.
    ws.addEventListener("error", () => {});
  }

  /** Fresh bootstrap data; an error that retrying cannot fix ends the stream. */
  async #bootstrap(): Promise<{ socketUrl: string; token: string }> {
    try {
      return await this.#deps.bootstrap(this.#stream.serverId, { signal: this.#signal });
    } catch (error) {
      if (this.#signal.aborted) throw new EndLink({ kind: "stopped" });
      const e = error instanceof Error ? error : new Error(String(error));
      if (isTransientError(e)) {
        throw new EndLink({
          kind: "transient",
          reason: `console bootstrap failed: ${e.message}`,
          error: e,
          authenticated: this.#authenticated,
        });
      }
      throw new EndLink({ kind: "final", reason: `console bootstrap failed: ${e.message}`, error: e });
    }
  }

  /** Sends `auth` and waits for `auth success`; a refused token is retried with fresh bootstrap data. */
  async #authenticate(token: string): Promise<void> {
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= MAX_AUTH_ATTEMPTS; attempt++) {
      const current = attempt === 1 ? token : (await this.#bootstrap()).token;
      try {
        await this.#auth(current);
        return;
      } catch (error) {
        if (error instanceof EndLink) throw error;
        lastError = error as Error;
      }
    }
    throw new EndLink({
      kind: "final",
      reason: "the console token was refused",
      error: new ConsoleTokenError(
        `The console token of ${this.#stream.serverId} was refused ${MAX_AUTH_ATTEMPTS} times: ${lastError?.message}`,
      ),
    });
  }

  /** Sends `auth`; settles on `auth success` (handled synchronously, before the next frame), a refusal or a timeout. */
  #auth(token: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#authWait = undefined;
        reject(new ConsoleTokenError(`no auth success within ${AUTH_TIMEOUT_MS} ms`));
      }, AUTH_TIMEOUT_MS);
      this.#authWait = {
        token,
        resolve: () => {
          clearTimeout(timer);
          this.#authWait = undefined;
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          this.#authWait = undefined;
          reject(error);
        },
      };
      this.#send({ event: CLIENT_EVENTS.auth, args: [token] });
    });
  }

  #onAuthenticated(token: string, permissions: string[] | undefined): void {
    const granted = permissions ?? permissionsOfJwt(token);
    const readOnly = granted !== undefined && !granted.includes(SEND_COMMAND_PERMISSION) && !granted.includes("*");
    if (!this.#authenticated) {
      this.#authenticated = true;
      this.#stream.authenticated(readOnly);
      if (this.#first) {
        // Nothing delivered yet: the replay goes out as it comes.
        if (this.#replay) this.#send({ event: CLIENT_EVENTS.sendLogs, args: [] });
      } else if (this.#replay || this.#stream.historyLength > 0) {
        this.#startReplay();
      } else {
        // Nothing delivered and no replay wanted: nothing to resume from.
        this.#stream.emit({ type: "resumed", mayHaveMissedLines: true });
      }
      return;
    }
    this.#stream.emit({ type: "token-refreshed" });
    if (this.#linesLost) {
      this.#linesLost = false;
      this.#startReplay();
    }
  }

  /** Fetches fresh bootstrap data and sends `auth` on this socket; one refresh at a time. */
  #refresh(): void {
    if (this.#refreshing || !this.#authenticated || this.#isEnded) return;
    this.#refreshing = (async () => {
      const { token } = await this.#bootstrap();
      await this.#authenticate(token);
    })()
      .catch((error: unknown) => this.end(this.#endOf(error)))
      .finally(() => {
        this.#refreshing = undefined;
      });
  }

  /** Asks for a replay and holds lines until it is over, then delivers what it adds. */
  #startReplay(): void {
    this.#clearReplay();
    this.#replayed = [];
    this.#send({ event: CLIENT_EVENTS.sendLogs, args: [] });
    this.#replayTimers.push(setTimeout(() => this.#endReplay(), REPLAY_MAX_MS));
    this.#armQuietTimer();
  }

  #armQuietTimer(): void {
    const quiet = this.#replayTimers[1];
    if (quiet) clearTimeout(quiet);
    this.#replayTimers[1] = setTimeout(() => this.#endReplay(), REPLAY_QUIET_MS);
  }

  #endReplay(): void {
    const replayed = this.#replayed;
    this.#clearReplay();
    if (replayed) this.#stream.resume(replayed);
  }

  #clearReplay(): void {
    for (const t of this.#replayTimers) clearTimeout(t);
    this.#replayTimers = [];
    this.#replayed = undefined;
  }

  #send(frame: ConsoleClientFrame): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(frame));
  }

  #onMessage(data: unknown): void {
    if (this.#isEnded) return;
    if (typeof data !== "string") {
      this.#stream.emit({ type: "error", error: new ConsoleFrameError("console frame: a binary frame (frames are JSON text)", "(frame)") });
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      this.#stream.emit({ type: "error", error: new ConsoleFrameError(`console frame: not JSON: ${preview(data)}`, "(frame)") });
      return;
    }
    const parsed = ConsoleServerFrame.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue ? formatPath(issue.path) : "(frame)";
      this.#stream.emit({
        type: "error",
        error: new ConsoleFrameError(`console frame: ${field} ${issue?.message ?? "is invalid"}: ${preview(data)}`, field),
      });
      return;
    }
    this.#onFrame(parsed.data);
  }

  #onFrame(frame: ConsoleServerFrame): void {
    switch (frame.event) {
      case SERVER_EVENTS.authSuccess: {
        const wait = this.#authWait;
        if (!wait) return;
        wait.resolve();
        this.#onAuthenticated(wait.token, frame.args);
        return;
      }
      case SERVER_EVENTS.consoleOutput:
        if (this.#replayed) {
          this.#replayed.push(frame.args[0]);
          this.#armQuietTimer();
        } else {
          this.#stream.deliver(frame.args[0]);
        }
        return;
      case SERVER_EVENTS.status:
        this.#stream.emit({ type: "status", status: frame.args[0] });
        return;
      case SERVER_EVENTS.tokenExpiring:
        this.#refresh();
        return;
      case SERVER_EVENTS.tokenExpired:
        this.#expired();
        return;
      case SERVER_EVENTS.jwtError: {
        const message = frame.args[0];
        // While an auth is pending, expiry errors are frames sent before the server read it.
        if (EXPIRY_MESSAGE.test(message)) {
          if (!this.#authWait) this.#expired();
          return;
        }
        const error = new ConsoleTokenError(`jwt error: ${message}`);
        if (this.#authWait) this.#authWait.reject(error);
        else this.#stream.emit({ type: "error", error });
        return;
      }
      case SERVER_EVENTS.daemonError:
        this.#stream.emit({ type: "error", error: new ConsoleDaemonError(`daemon error: ${frame.args[0]}`) });
        return;
      default:
        // Stats, install, backup and transfer events: valid, of no use to a console stream.
        if ((IGNORED_SERVER_EVENTS as readonly string[]).includes(frame.event)) return;
    }
  }

  /** The token expired before a refresh landed: lines are being dropped until one does. */
  #expired(): void {
    if (!this.#authenticated) return;
    this.#linesLost = true;
    this.#refresh();
  }

  #onClose(code: number, reason: string): void {
    if (this.#isEnded) return;
    if (isFinalCloseCode(code)) {
      const error = makeConsoleCloseError(this.#stream.serverId, code, reason);
      this.end({ kind: "final", reason: `closed by the server: ${code}${reason ? ` ${reason}` : ""}`, error });
      return;
    }
    const what = this.#opened ? `console websocket closed (${code}${reason ? ` ${reason}` : ""})` : "could not open the console websocket";
    this.end({ kind: "transient", reason: what, error: new APIConnectionError(what), authenticated: this.#authenticated });
  }

  #endOf(error: unknown): LinkEnd {
    if (error instanceof EndLink) return error.end;
    if (this.#signal.aborted) return { kind: "stopped" };
    const e = error instanceof Error ? error : new Error(String(error));
    return { kind: "final", reason: e.message, error: e };
  }
}

/** A Wings JWT's `permissions` claim, or undefined when the token is not such a JWT. */
function permissionsOfJwt(token: string): string[] | undefined {
  const payload = token.split(".")[1];
  if (token.split(".").length !== 3 || !payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { permissions?: unknown };
    const permissions = claims.permissions;
    return Array.isArray(permissions) && permissions.every((p) => typeof p === "string") ? permissions : undefined;
  } catch {
    return undefined;
  }
}

function preview(text: string): string {
  return text.length > 80 ? `${JSON.stringify(text.slice(0, 80))}...` : JSON.stringify(text);
}
