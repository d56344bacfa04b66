export {
  FLEET_PARTS,
  type FleetConfigurationFor,
  type FleetMember,
  FleetRoster,
  type FleetRosterArgs,
  type FleetServer,
  type FleetServerSettings,
  type FleetServerState,
  FleetServers,
  type FleetServersArgs,
  GameServerFleet,
  type GameServerFleetArgs,
  partOf,
  type RosterEntry,
  resolveFleet,
} from "./fleet.js";
export type { RosterServer } from "./fleet-roster-handlers.js";
export { type ConfigurationFor, type Cs2ConfigurationArgs, GameServer, type GameServerArgs, type Region } from "./game-server/resource.js";
export { type GetLatestLogArgs, getLatestLog, ServerCommand, type ServerCommandArgs } from "./server-command.js";
export type { SentCommand } from "./server-command-handlers.js";
