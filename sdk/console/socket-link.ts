import { WebSocket } from "undici";
import { APIConnectionError, isTransientError } from "../core/errors.js";
import {
  CLIENT_EVENTS,
  type ConsoleClientFrame,
  type ConsoleServerFrame,
  IGNORED_SERVER_EVENTS,
  SEND_COMMAND_PERMISSION,
  SERVER_EVENTS,
} from "../schemas/console.js";
import { ConsoleDaemonError, ConsoleTokenError, isFinalCloseCode, makeConsoleCloseError } from "./errors.js";
import type { ConsoleEvent } from "./events.js";
import { parseServerFrame, permissionsOfJwt } from "./frames.js";
import { OpeningReplay, ReplayDedupe } from "./replay.js";
import type { ConsoleStreamDeps } from "./stream.js";

/** No `auth success` within this long: the auth failed. @default 10000 ms */
const AUTH_TIMEOUT_MS = 10_000;
/** Tokens refused in a row (fresh bootstrap data each time) before the stream ends. */
const MAX_AUTH_ATTEMPTS = 3;
/** A `jwt error` about expiry (Wings: `jwt: exp claim is invalid`). */
const EXPIRY_MESSAGE = /\bexp\b.*claim|expired/i;

/** How a link ended: stopped by its stream, lost (another may follow), or ended for good. */
export type LinkEnd =
  | { kind: "stopped" }
  | { kind: "transient"; reason: string; error: Error; authenticated: boolean }
  | { kind: "final"; reason: string; error: Error };

/** What a link reports to its stream. */
export interface LinkHost {
  readonly serverId: string;
  /** The lines delivered so far (the last ones), to deduplicate a replay against. */
  history(): readonly string[];
  deliver(line: string): void;
  emit(event: ConsoleEvent): void;
  /** A socket authenticated; `readOnly` when its token cannot send commands. */
  authenticated(readOnly: boolean): void;
  /** Lines could have been lost; a replay decided what was new (`lines`). */
  resume(mayHaveMissedLines: boolean, lines: string[]): void;
}

/** Thrown inside a link to end it. */
class EndLink extends Error {
  constructor(readonly end: LinkEnd) {
    super("link ended");
  }
}

/** One websocket, from bootstrap to close: auth, token refreshes, replays. */
export class Link {
  readonly #stream: LinkHost;
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
  /** The replay being read, its lines held until it is decided; undefined when none is. */
  #replayed: ReplayDedupe | undefined;
  /** The opening replay being read (first connect), its lines held until it is decided. */
  #opening: OpeningReplay | undefined;

  constructor(stream: LinkHost, deps: ConsoleStreamDeps, stop: AbortSignal, options: { first: boolean; replay: boolean }) {
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
    this.#replayed?.stop();
    this.#replayed = undefined;
    // What the opening replay holds is handed now: a console closed at the end of its input
    // must still print what its commands answered.
    this.#opening?.flush();
    this.#opening = undefined;
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
      const reason = `console bootstrap failed: ${e.message}`;
      if (isTransientError(e)) throw new EndLink({ kind: "transient", reason, error: e, authenticated: this.#authenticated });
      throw new EndLink({ kind: "final", reason, error: e });
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
      const settle = (then: () => void) => {
        clearTimeout(timer);
        this.#authWait = undefined;
        then();
      };
      this.#authWait = { token, resolve: () => settle(resolve), reject: (error) => settle(() => reject(error)) };
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
        // Nothing delivered yet: the replay is held until lines that came before it are told apart.
        if (this.#replay) this.#startOpeningReplay();
      } else if (this.#replay || this.#stream.history().length > 0) {
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

  /** Asks for a replay, and holds its lines until the replay is matched against the history. */
  #startReplay(): void {
    this.#replayed?.stop();
    const replay = new ReplayDedupe([...this.#stream.history()], (lines) => this.#resume(replay, lines));
    this.#replayed = replay;
    this.#send({ event: CLIENT_EVENTS.sendLogs, args: [] });
    if (replay.done) this.#resume(replay, []);
    else replay.arm();
  }

  /**
   * Asks for the opening replay and holds every line until it is decided: live lines sent before
   * the server read `send logs` come first and recur at the replay's end (`OpeningReplay`).
   */
  #startOpeningReplay(): void {
    const opening = new OpeningReplay((lines) => {
      if (this.#opening !== opening) return;
      this.#opening = undefined;
      for (const line of lines) this.#stream.deliver(line);
    });
    this.#opening = opening;
    this.#send({ event: CLIENT_EVENTS.sendLogs, args: [] });
    opening.arm();
  }

  #resume(replay: ReplayDedupe, lines: string[]): void {
    if (this.#replayed !== replay) return;
    this.#replayed = undefined;
    this.#stream.resume(replay.mayHaveMissedLines, lines);
  }

  #send(frame: ConsoleClientFrame): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(frame));
  }

  #onMessage(data: unknown): void {
    if (this.#isEnded) return;
    const frame = parseServerFrame(data);
    if (frame instanceof Error) this.#stream.emit({ type: "error", error: frame });
    else this.#onFrame(frame);
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
      case SERVER_EVENTS.consoleOutput: {
        if (this.#opening) {
          this.#opening.push(frame.args[0]);
          return;
        }
        const replay = this.#replayed;
        if (!replay) {
          this.#stream.deliver(frame.args[0]);
          return;
        }
        const lines = replay.push(frame.args[0]);
        if (replay.done) this.#resume(replay, lines);
        return;
      }
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
