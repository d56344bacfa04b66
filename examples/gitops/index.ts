import * as pulumi from "@pulumi/pulumi";
import { GameServerFleet } from "pulumi-gameservers";

/** `gitops:fleet` in Pulumi.<stack>.yaml: how many servers, where, and how they are set up. */
interface FleetConfig {
  count: number;
  nameTemplate?: string;
  regions: string[];
  configuration: Record<string, unknown>;
  autoStop?: boolean;
  autostopMinutes?: number;
}

const fleetConfig = new pulumi.Config("gitops").requireObject<FleetConfig>("fleet");

const fleet = new GameServerFleet("pugs", {
  defaults: {
    gameType: "cs2",
    configuration: fleetConfig.configuration,
    autoStop: fleetConfig.autoStop,
    autostopMinutes: fleetConfig.autostopMinutes,
  },
  count: fleetConfig.count,
  nameTemplate: fleetConfig.nameTemplate,
  regions: fleetConfig.regions,
});

export const roster = fleet.roster;
