import * as pulumi from "@pulumi/pulumi";
import { GameServer } from "pulumi-gameservers";

const config = new pulumi.Config();

const server = new GameServer("scrim", {
  gameType: "cs2",
  region: config.get("region") ?? "eu-central-1",
  configuration: {
    gameMode: "competitive",
    maxPlayers: 10,
    tickrate: 128,
    enableVAC: true,
    mapPool: ["de_dust2", "de_mirage", "de_inferno"],
    startingMap: "de_mirage",
    enableBots: false,
    tournamentMode: false,
    warmupTime: 60,
    freezeTime: 15,
    roundTime: 115,
    bombTimer: 40,
    buyTime: 20,
  },
  // A secret in stack config (`pulumi config set --secret joinPassword ...`), or none.
  serverPassword: config.getSecret("joinPassword"),
});

export const connectUrl = server.connectUrl;
export const address = pulumi.interpolate`${server.ip}:${server.port}`;
export const rconPassword = server.rconPassword;
