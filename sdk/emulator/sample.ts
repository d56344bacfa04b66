import type { Cs2Configuration } from "../schemas/index.js";

/**
 * The CS2 configuration of the game servers API document's own create() example: valid, for
 * tests and benchmarks that need one. Frozen; spread it to change a field.
 */
export const SAMPLE_CS2_CONFIGURATION: Readonly<Cs2Configuration> = Object.freeze({
  gameMode: "competitive",
  maxPlayers: 10,
  tickrate: 128,
  rconPassword: "secure-rcon",
  enableVAC: true,
  mapPool: ["de_dust2", "de_mirage"],
  startingMap: "de_dust2",
  enableBots: false,
  tournamentMode: true,
  warmupTime: 60,
  freezeTime: 15,
  roundTime: 115,
  bombTimer: 40,
  buyTime: 20,
});
