export {
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
export { type Cs2ConfigurationArgs, GameServer, type GameServerArgs } from "./game-server.js";
