/**
 * The console stream, a module per role as undici's `lib/web/websocket/`: its events, its
 * errors, the stream, the socket under it, the frames it reads and the replay it resumes with.
 */
export {
  ConsoleDaemonError,
  ConsoleFrameError,
  ConsoleReadOnlyError,
  ConsoleServerDeletedError,
  ConsoleServerSuspendedError,
  ConsoleStreamClosedError,
  ConsoleTokenError,
} from "./errors.js";
export type { ConsoleConnectOptions, ConsoleEvent, ConsoleStream } from "./events.js";
export { type ConsoleStreamDeps, LiveConsoleStream } from "./stream.js";
