/** The resource that holds a fleet's servers, a part of them each (see ../parts.ts). */
import * as pulumi from "@pulumi/pulumi";
import { programStack } from "../../game-server/resource.js";

import fleetProvider = require("./shim.js");

/** One server in a FleetServers state: the GameServer outputs but the passwords, and its resource id. */
export interface FleetServerState {
  /** The server's id in the state: its API id, or a placeholder for a create whose outcome stayed unknown. */
  id: string;
  /** The API's server id; null for such a placeholder. */
  serverId: string | null;
  name: string;
  gameType: string;
  region: string;
  status: string;
  ip: string | null;
  port: number | null;
  connectUrl: string | null;
  configuration: Record<string, unknown>;
  autoStop: boolean;
  autostopMinutes: number | null;
  createdAt: string;
  updatedAt: string;
  readyTimeoutSeconds: number;
  autoNamePrefix?: string;
}

/** Arguments of a {@link FleetServers}. */
export interface FleetServersArgs {
  /** The fleet's name, for progress lines and errors. */
  fleet: string;
  /** The settings every server shares (see `servers`). @default none */
  common?: pulumi.Input<Record<string, unknown>>;
  /**
   * Each server's GameServer arguments by key, passwords and `waitForRunning` apart, but what is
   * in `common` (configuration key by key); a server without a `name` carries `autoNamePrefix`
   * (its name is generated once, then kept), one whose `region` the fleet's `regions` dealt
   * carries `spread`, that list (check keeps the region it has while it is in the list).
   */
  servers: pulumi.Input<Record<string, pulumi.Input<Record<string, unknown>>>>;
  /** Each server's `rconPassword` and `serverPassword` by key; stored as a secret. */
  passwords?: pulumi.Input<Record<string, pulumi.Input<Record<string, pulumi.Input<string>>>>>;
  /** The live-match guard settings of the fleet's `defaults`: a server removed from the fleet is deleted by them. @default none */
  removal?: Record<string, unknown>;
}

/**
 * Every server of a {@link GameServerFleet} (`pulumi-nodejs:dynamic/gameservers:FleetServers`):
 * created at once without waiting (the fleet's FleetRoster waits), each updated, replaced or
 * deleted on its own when the program changes it.
 */
export class FleetServers extends pulumi.dynamic.Resource {
  declare readonly fleet: pulumi.Output<string>;
  /** What every server's state shares, stored once (configuration key by key). */
  declare readonly common: pulumi.Output<Record<string, unknown>>;
  /** Each server by key, but what `common` holds. */
  declare readonly servers: pulumi.Output<Record<string, FleetServerState>>;
  /** Secret: each server's RCON and join passwords by key. */
  declare readonly passwords: pulumi.Output<Record<string, { rconPassword: string | null; serverPassword: string | null }>>;

  constructor(name: string, args: FleetServersArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      fleetProvider,
      name,
      {
        fleet: args.fleet,
        common: args.common ?? {},
        servers: args.servers,
        passwords: pulumi.secret(pulumi.output(args.passwords ?? {})),
        ...(args.removal && Object.keys(args.removal).length > 0 ? { removal: args.removal } : {}),
        __stack: programStack(),
      },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "passwords"] },
      "gameservers",
      "FleetServers",
    );
  }
}
