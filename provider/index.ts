export type {
  FleetConfigurationFor,
  FleetMember,
  FleetServer,
  FleetServerSettings,
  GameServerFleetArgs,
  RosterEntry,
} from "./fleet/args.js";
export { FLEET_PARTS, partOf } from "./fleet/parts.js";
export { resolveFleet } from "./fleet/resolve.js";
export { GameServerFleet } from "./fleet/resource.js";
export { FleetRoster, type FleetRosterArgs, type RosterServer } from "./fleet/roster/resource.js";
export { type FleetServerState, FleetServers, type FleetServersArgs } from "./fleet/servers/resource.js";
export { type ConfigurationFor, type Cs2ConfigurationArgs, GameServer, type GameServerArgs, type Region } from "./game-server/resource.js";
export { type GetLatestLogArgs, getLatestLog } from "./server-command/latest-log.js";
export { type SentCommand, ServerCommand, type ServerCommandArgs } from "./server-command/resource.js";
