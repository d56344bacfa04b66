export { type Cs2ConfigurationArgs, GameServer, type GameServerArgs } from "./game-server.js";
