import * as pulumi from "@pulumi/pulumi";
import { GameServerFleet } from "pulumi-gameservers";
import { SAMPLE_CS2_CONFIGURATION } from "pulumi-gameservers/emulator";

const config = new pulumi.Config();
const { rconPassword: _generated, ...configuration } = SAMPLE_CS2_CONFIGURATION;

const fleet = new GameServerFleet("bench", {
  defaults: { gameType: "cs2", configuration },
  count: config.requireNumber("n"),
  regions: ["eu-central-1", "eu-west-1"],
});

export const readyAt = fleet.ready.readyAt;
