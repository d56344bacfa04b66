export { type ClientOptions, DEFAULT_BASE_URL, DEFAULT_CONSOLE_BASE_URL, GameServersClient } from "./client.js";
export {
  type ConsoleConnectOptions,
  ConsoleDaemonError,
  type ConsoleEvent,
  ConsoleFrameError,
  ConsoleReadOnlyError,
  ConsoleServerDeletedError,
  ConsoleServerSuspendedError,
  type ConsoleStream,
  ConsoleStreamClosedError,
  ConsoleTokenError,
} from "./console-stream.js";
export * from "./errors.js";
export { PagePromise } from "./pagination.js";
export type { RateLimitRoom } from "./rate-window.js";
export {
  CONSOLE_SCOPES,
  Console,
  type ConsoleBootstrap,
  type ConsoleCommandResult,
  type LatestLog,
  Logs,
} from "./resources/console.js";
export { type CreateOptions, GameServers, type WaitOptions, type WaitProgress } from "./resources/game-servers.js";
export * from "./retry.js";
export type {
  CreateGameServerRequest,
  Cs2Configuration,
  Cs2ConfigurationPatch,
  GameServer,
  GameServerStatus,
  ListEventsResponse,
  ListGameServersParams,
  ListGameServersResponse,
  ProvisioningEvent,
  Scope,
  ServerStatusResponse,
  UpdateGameServerRequest,
} from "./schemas/index.js";
export * as schemas from "./schemas/index.js";
export { type Clock, type RequestOptions, systemClock } from "./transport.js";
