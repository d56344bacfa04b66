/**
 * The SDK's public API: every export is listed by name, and what is not listed here is private.
 * Adding a name is an API decision (test/sdk/surface.test.ts pins the list).
 */
// First, before anything loads undici: on a Node.js too old for it, name the Node.js needed.
import "./internal/node-version.js";
import * as schemas from "./schemas/index.js";

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
} from "./console/index.js";
export { type ClientOptions, DEFAULT_BASE_URL, DEFAULT_CONSOLE_BASE_URL, GameServersClient } from "./core/client.js";
export { type Clock, systemClock } from "./core/clock.js";
export {
  AmbiguousRequestError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  type FieldIssue,
  GameServersError,
  InsufficientScopeError,
  InternalServerError,
  InvalidResponseError,
  isTransientError,
  MethodNotAllowedError,
  NotFoundError,
  PermissionDeniedError,
  ProviderError,
  ProviderPermissionDeniedError,
  RateLimitError,
  RequestValidationError,
  type ResponseHeaders,
  ServerFailedError,
  WaitTimeoutError,
} from "./core/errors.js";
export { PagePromise } from "./core/pagination.js";
export type { RequestOptions } from "./core/transport.js";
export type { RateLimitRoom } from "./internal/rate-window.js";
export {
  CONSOLE_SCOPES,
  Console,
  type ConsoleBootstrap,
  type ConsoleCommandResult,
  type LatestLog,
  Logs,
} from "./resources/console.js";
export { type CreateOptions, GameServers, type WaitOptions, type WaitProgress } from "./resources/game-servers.js";
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
/** The zod schemas of every wire shape, for validating data of your own against them. */
export { schemas };
