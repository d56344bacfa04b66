/** The resource of a fleet that waits for its servers and carries their addresses. */
import * as pulumi from "@pulumi/pulumi";

import rosterProvider = require("./shim.js");

/** One server of the roster, as the API reported it when the wait ended. */
export interface RosterServer {
  serverId: string;
  name: string | null;
  region: string | null;
  status: string;
  ip: string | null;
  port: number | null;
  connectUrl: string | null;
  /** Set when the server is listed but not waited for. */
  wait?: false;
}

/** Arguments of a {@link FleetRoster}. */
export interface FleetRosterArgs {
  /** The fleet's name, for progress lines. */
  fleet: string;
  /** The servers to list, by key; `wait: false` lists one without waiting for it. */
  servers: pulumi.Input<Record<string, pulumi.Input<{ serverId: pulumi.Input<string>; wait?: boolean }>>>;
  /** How long to wait for every server to run, in seconds. @default 600 */
  readyTimeoutSeconds?: pulumi.Input<number>;
  /** The ids of the fleet's FleetServers parts: in a preview, their diffs tell whether a server comes or goes. @default none */
  parts?: pulumi.Input<pulumi.Input<string>[]>;
  /** Wait no later than this (ISO 8601), if it comes first: the fleet's deadline, counted from when its servers were created. */
  waitUntil?: pulumi.Input<string>;
}

/**
 * The part of a {@link GameServerFleet} that waits (`pulumi-nodejs:dynamic/gameservers:FleetRoster`):
 * it waits until every listed server runs and outputs each one's address. It owns no server.
 */
export class FleetRoster extends pulumi.dynamic.Resource {
  /** Each server's id, name, region, status, ip, port and connectUrl when the wait ended, by key. */
  declare readonly servers: pulumi.Output<Record<string, RosterServer>>;
  /** When every waited server was running (ISO 8601), or null while some are not. */
  declare readonly readyAt: pulumi.Output<string | null>;

  constructor(name: string, args: FleetRosterArgs, opts?: pulumi.CustomResourceOptions) {
    super(rosterProvider, name, { ...args, readyAt: undefined }, opts, "gameservers", "FleetRoster");
  }
}
