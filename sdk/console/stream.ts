import type { Dispatcher } from "undici";
import type { Clock } from "../core/clock.js";
import { APIConnectionError, APIUserAbortError, GameServersError } from "../core/errors.js";
import { backoffDelay } from "../internal/retry.js";
import { ConsoleReadOnlyError } from "./errors.js";
import type { ConsoleConnectOptions, ConsoleEvent, ConsoleStream } from "./events.js";
import { Link, type LinkHost } from "./socket-link.js";

/** Lines kept to deduplicate a replay against (Wings replays 150 by default, the emulator 100). */
const HISTORY_LINES = 1_000;

/** What the stream needs of the client. */
export interface ConsoleStreamDeps {
  bootstrap(id: string, options: { signal: AbortSignal }): Promise<{ socketUrl: string; token: string }>;
  sendCommand(id: string, command: string, options: { signal: AbortSignal }): Promise<unknown>;
  validateCommand(command: string): void;
  dispatcher: Dispatcher;
  clock: Clock;
}

/**
 * The implementation of {@link ConsoleStream}: one socket at a time, reconnected as needed.
 * Events are buffered until read. Internal: `client.console.connect` builds it; only the
 * interface is exported from the SDK's entry point.
 */
export class LiveConsoleStream implements ConsoleStream, LinkHost {
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
  resume(mayHaveMissedLines: boolean, lines: string[]): void {
    this.#emit({ type: "resumed", mayHaveMissedLines });
    for (const line of lines) this.deliver(line);
  }

  history(): readonly string[] {
    return this.#history;
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
