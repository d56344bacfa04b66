/** What a program gives a GameServerFleet, and what it gets back. */
import type * as pulumi from "@pulumi/pulumi";
import type { Cs2Configuration } from "../../sdk/schemas/index.js";
import type { Region } from "../game-server/resource.js";

/**
 * The part of a configuration a fleet's defaults or one of its servers gives: any subset of a
 * CS2 configuration's fields for `cs2` (each checked by TypeScript; the merged whole is checked
 * when the fleet is declared), an open object for other games.
 */
export type FleetConfigurationFor<G extends string> = string extends G
  ? Record<string, unknown>
  : G extends "cs2"
    ? Partial<Omit<Cs2Configuration, "rconPassword" | "serverPassword">>
    : Record<string, unknown>;

/** Settings of one server of a fleet; every one may be set in `defaults` or per server. */
export interface FleetServerSettings<G extends string = string> {
  gameType?: G | undefined;
  /** AWS region code. Unset: one of the fleet's `regions` (see there), else `defaults.region`. */
  region?: Region | undefined;
  /** Merged key by key over `defaults.configuration` (a server's value wins). */
  configuration?: FleetConfigurationFor<G> | undefined;
  autoStop?: boolean | undefined;
  autostopMinutes?: number | undefined;
  rconPassword?: pulumi.Input<string> | undefined;
  serverPassword?: pulumi.Input<string> | undefined;
  waitForRunning?: boolean | undefined;
  readyTimeoutSeconds?: number | undefined;
  /** Replace the server at a `pulumi up` whose state says it is `stopped` (see GameServerArgs). @default false */
  replaceIfStopped?: boolean | undefined;
  /** What deleting this server (removed, replaced, destroyed) does while players are connected (see GameServerArgs). @default "refuse" */
  whenPlayersConnected?: "refuse" | "drain" | "end" | undefined;
  /** How long `drain` waits for the players to leave, in seconds. @default 900 */
  drainTimeoutSeconds?: number | undefined;
  /** Said on the server's console when a drain starts, and every minute while it lasts. @default none */
  drainAnnouncement?: string | undefined;
}

/** A server's own settings: the defaults' fields, plus a fixed `name`. */
export interface FleetServer<G extends string = string> extends FleetServerSettings<G> {
  /** Server name. @default the fleet's name, the key and a random suffix, kept across updates */
  name?: string | undefined;
}

/** Arguments of a {@link GameServerFleet}; `G` is the game type, inferred from `defaults.gameType`. */
export interface GameServerFleetArgs<G extends string = string> {
  /** Settings every server starts from. */
  defaults: FleetServerSettings<G>;
  /** Servers by key (`groups-1`, `final`): the key names the server in the roster and in URNs. */
  servers?: Record<string, FleetServer<G>> | undefined;
  /** Adds `count` servers keyed by `nameTemplate`; an entry of `servers` with the same key overrides one. */
  count?: number | undefined;
  /** Key of the n-th counted server (1-based): `{n}` is replaced by n. @default "server-{n}" */
  nameTemplate?: string | undefined;
  /**
   * Regions to spread servers without their own `region` over. A server that exists keeps its
   * region as long as that is one of these (whatever is added, removed, pinned or reordered
   * around it, and a stack deployed by the older round-robin keeps every server where it is); a
   * new server, or one whose region left this list, takes the region the fewest of the fleet's
   * servers are declared in (pinned ones by their pin, the others as dealt before it in
   * declaration order, counted servers first; ties go to the region listed first), so a fresh
   * fleet is dealt evenly. Adding a region moves no server; to rebalance, pin servers.
   */
  regions?: Region[] | undefined;
}

/** How players and admins reach one server. Passwords are secrets. */
export interface RosterEntry {
  name: pulumi.Output<string>;
  region: pulumi.Output<string>;
  /**
   * As the roster last read it: `running`, `stopped` (the platform stopped it: no address, see
   * the run's output for what to do), a status still on the way to running, `deleted`, `unknown`.
   */
  status: pulumi.Output<string>;
  /** Null while the server has no address (queued, stopped). */
  connectUrl: pulumi.Output<string | null>;
  ip: pulumi.Output<string | null>;
  port: pulumi.Output<number | null>;
  serverPassword: pulumi.Output<string | null>;
  rconPassword: pulumi.Output<string>;
}

/** One server of a fleet, as the fleet's state has it (its address is in the roster). */
export interface FleetMember {
  /** The API's server id. */
  serverId: pulumi.Output<string>;
  name: pulumi.Output<string>;
  gameType: pulumi.Output<string>;
  region: pulumi.Output<string>;
  /** As the API answered the create or the last update: read `roster` for servers that run. */
  status: pulumi.Output<string>;
  /** Secret. */
  rconPassword: pulumi.Output<string>;
  /** Secret; null when the server has none. */
  serverPassword: pulumi.Output<string | null>;
}
