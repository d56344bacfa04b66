/**
 * Every wire shape, one zod schema each, shared by the SDK (parsing answers), the emulator
 * (validating requests, building answers) and the provider (checking inputs). Listed by name.
 */
export { GameType, RegionCode, Scope, ServerId, ServerName, Timestamp } from "./common.js";
export {
  CLIENT_EVENTS,
  CONNECT_PERMISSION,
  CONSOLE_CLOSE_CODES,
  ConsoleBootstrapResponse,
  ConsoleClientFrame,
  ConsoleCommandRequest,
  ConsoleCommandResponse,
  ConsoleErrorBody,
  ConsoleFrame,
  ConsoleServerFrame,
  IGNORED_SERVER_EVENTS,
  LatestLogResponse,
  SEND_COMMAND_PERMISSION,
  SERVER_EVENTS,
} from "./console.js";
export { CS2_CONFIGURATION_DEFAULTS, CS2_SECRET_KEYS, Cs2Configuration, Cs2ConfigurationPatch, Cs2GameMode } from "./cs2.js";
export {
  AutostopMinutes,
  CreateCs2GameServerRequest,
  CreateGameServerRequest,
  CreateOtherGameServerRequest,
  createRequestSchema,
  DeleteGameServerResponse,
  FAILED_STATUSES,
  GameServer,
  type GameServerStatus,
  GameServersErrorBody,
  IN_PROGRESS_STATUSES,
  KNOWN_EVENT_TYPES,
  KNOWN_STATUSES,
  type KnownGameServerStatus,
  ListEventsQuery,
  ListEventsResponse,
  ListGameServersParams,
  ListGameServersQuery,
  ListGameServersResponse,
  ProvisioningEvent,
  type ProvisioningEventType,
  ServerStatusResponse,
  TERMINAL_STATUSES,
  UpdateGameServerRequest,
} from "./game-server.js";
export { AWS_COMMERCIAL_REGIONS, isKnownRegion, type KnownRegion } from "./regions.js";
