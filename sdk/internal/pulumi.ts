/**
 * The names this package writes into Pulumi's state, shared by the provider, its test host and
 * the CLI's `orphans`. Constants only: importing this module reads and starts nothing.
 */

/** Type token of a GameServer resource (one server). */
export const GAME_SERVER_TYPE = "pulumi-nodejs:dynamic/gameservers:GameServer";
/** Type token of a fleet part: a GameServerFleet's servers, `servers: { <key>: ... }`. */
export const FLEET_SERVERS_TYPE = "pulumi-nodejs:dynamic/gameservers:FleetServers";
/** Type token of a fleet's roster. */
export const FLEET_ROSTER_TYPE = "pulumi-nodejs:dynamic/gameservers:FleetRoster";
/** Type token of a ServerCommand. */
export const SERVER_COMMAND_TYPE = "pulumi-nodejs:dynamic/gameservers:ServerCommand";
/** Id prefix of the placeholder a create whose outcome stayed unknown leaves in the state. */
export const UNRESOLVED_ID_PREFIX = "unresolved-create:";
/** How the engine sends a value not known yet (in a preview) to a provider. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
