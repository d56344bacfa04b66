import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const require = createRequire(import.meta.url);

/** The names a built entry point exports, sorted: what `require("pulumi-gameservers/...")` gives. */
function exportsOf(entry: string): string[] {
  const file = join(ROOT, "dist", entry);
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);
  return Object.keys(require(file) as object).sort();
}

// A name added to (or gone from) an entry point is an API decision: change these lists with it.
describe("the public surface of the built entry points", () => {
  it("pulumi-gameservers/sdk (dist/sdk/index.js)", () => {
    expect(exportsOf("sdk/index.js")).toEqual([
      "APIConnectionError",
      "APIConnectionTimeoutError",
      "APIError",
      "APIUserAbortError",
      "AmbiguousRequestError",
      "AuthenticationError",
      "BadRequestError",
      "CONSOLE_SCOPES",
      "ConflictError",
      "Console",
      "ConsoleDaemonError",
      "ConsoleFrameError",
      "ConsoleReadOnlyError",
      "ConsoleServerDeletedError",
      "ConsoleServerSuspendedError",
      "ConsoleStreamClosedError",
      "ConsoleTokenError",
      "DEFAULT_BASE_URL",
      "DEFAULT_CONSOLE_BASE_URL",
      "GameServers",
      "GameServersClient",
      "GameServersError",
      "InsufficientScopeError",
      "InternalServerError",
      "InvalidResponseError",
      "Logs",
      "MethodNotAllowedError",
      "NotFoundError",
      "PagePromise",
      "PermissionDeniedError",
      "ProviderError",
      "ProviderPermissionDeniedError",
      "RateLimitError",
      "RequestValidationError",
      "ServerFailedError",
      "WaitTimeoutError",
      "isTransientError",
      "schemas",
      "systemClock",
    ]);
  });

  it("its schemas namespace (dist/sdk/schemas/index.js)", () => {
    expect(exportsOf("sdk/schemas/index.js")).toEqual([
      "AWS_COMMERCIAL_REGIONS",
      "AutostopMinutes",
      "CLIENT_EVENTS",
      "CONNECT_PERMISSION",
      "CONSOLE_CLOSE_CODES",
      "CS2_CONFIGURATION_DEFAULTS",
      "CS2_SECRET_KEYS",
      "ConsoleBootstrapResponse",
      "ConsoleClientFrame",
      "ConsoleCommandRequest",
      "ConsoleCommandResponse",
      "ConsoleErrorBody",
      "ConsoleFrame",
      "ConsoleServerFrame",
      "CreateCs2GameServerRequest",
      "CreateGameServerRequest",
      "CreateOtherGameServerRequest",
      "Cs2Configuration",
      "Cs2ConfigurationPatch",
      "Cs2GameMode",
      "DeleteGameServerResponse",
      "FAILED_STATUSES",
      "GameServer",
      "GameServersErrorBody",
      "GameType",
      "IGNORED_SERVER_EVENTS",
      "IN_PROGRESS_STATUSES",
      "KNOWN_EVENT_TYPES",
      "KNOWN_STATUSES",
      "LatestLogResponse",
      "ListEventsQuery",
      "ListEventsResponse",
      "ListGameServersParams",
      "ListGameServersQuery",
      "ListGameServersResponse",
      "ProvisioningEvent",
      "RegionCode",
      "SEND_COMMAND_PERMISSION",
      "SERVER_EVENTS",
      "Scope",
      "ServerId",
      "ServerName",
      "ServerStatusResponse",
      "TERMINAL_STATUSES",
      "Timestamp",
      "UpdateGameServerRequest",
      "createRequestSchema",
      "isKnownRegion",
    ]);
  });

  it("pulumi-gameservers/emulator (dist/sdk/emulator/index.js)", () => {
    expect(exportsOf("sdk/emulator/index.js")).toEqual([
      "AWS_COMMERCIAL_REGIONS",
      "DEFAULT_REGION_CAPACITY",
      "EmulatorConfigPatch",
      "EmulatorOptionError",
      "SAMPLE_CS2_CONFIGURATION",
      "startEmulator",
    ]);
  });
});
