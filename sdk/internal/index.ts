/**
 * What the provider takes from the SDK beyond its public API. Not a package entry point: nothing
 * outside this package can import it.
 */
export { issuesToFields, isTransientError } from "../core/errors.js";
export { regionTypo } from "../schemas/regions.js";
export {
  FLEET_ROSTER_TYPE,
  FLEET_SERVERS_TYPE,
  GAME_SERVER_TYPE,
  SERVER_COMMAND_TYPE,
  UNKNOWN,
  UNRESOLVED_ID_PREFIX,
} from "./pulumi.js";
export { parseRetryAfter } from "./retry.js";
export { closest, didYouMean, editDistance } from "./suggest.js";
