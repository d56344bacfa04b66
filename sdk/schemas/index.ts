export * from "./common.js";
export * from "./console.js";
export * from "./cs2.js";
export * from "./game-server.js";
export * from "./regions.js";
