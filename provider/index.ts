export {
  type FleetConfigurationFor,
  FleetRoster,
  type FleetRosterArgs,
  type FleetServer,
  type FleetServerSettings,
  GameServerFleet,
  type GameServerFleetArgs,
  type RosterEntry,
  resolveFleet,
} from "./fleet.js";
export type { RosterServer } from "./fleet-roster-handlers.js";
export { type ConfigurationFor, type Cs2ConfigurationArgs, GameServer, type GameServerArgs, type Region } from "./game-server.js";
