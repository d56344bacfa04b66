export type {
  FleetConfigurationFor,
  FleetMember,
  FleetServer,
  FleetServerSettings,
  GameServerFleetArgs,
  RosterEntry,
} from "./fleet/args.js";
export { resolveFleet } from "./fleet/resolve.js";
export { GameServerFleet } from "./fleet/resource.js";
// The resources a fleet's `ready` and `parts` are: their types, for programs that name them;
// a fleet makes them, a program never does.
export type { FleetRoster, FleetRosterArgs, RosterServer } from "./fleet/roster/resource.js";
export type { FleetServerState, FleetServers, FleetServersArgs } from "./fleet/servers/resource.js";
export { type ConfigurationFor, type Cs2ConfigurationArgs, GameServer, type GameServerArgs, type Region } from "./game-server/resource.js";
export { type GetLatestLogArgs, getLatestLog } from "./server-command/latest-log.js";
export { type SentCommand, ServerCommand, type ServerCommandArgs } from "./server-command/resource.js";
