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
   * Replay recent lines on the first connect (`send logs`: Wings replays the log's tail). Each
   * line is handed once, in the log's order: lines the server sent before it read `send logs`
   * (a slow link, a chatty server) come first and again at the replay's end, so the stream holds
   * every line until the replay is decided (once no line came for 1 s, 2 s after the
   * authentication at most, or when the socket ends) and drops the first copies. The first
   * lines therefore come up to 2 s after `authenticated`. Without sequence numbers, a replay
   * whose first lines recur later in it, word for word and in order, loses those first copies.
   * Reconnects, and a token that expired before its refresh, resume with a replay deduplicated
   * against the lines already delivered.
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
