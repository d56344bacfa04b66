import * as pulumi from "@pulumi/pulumi";
import { GameServer, type GameServerArgs } from "./game-server.js";
import { checkInputs } from "./inputs.js";

/** Settings of one server of a fleet; every one may be set in `defaults` or per server. */
export interface FleetServerSettings {
  gameType?: string;
  /** AWS region code. Unset: the fleet's `regions`, round-robin, else `defaults.region`. */
  region?: string;
  /** Merged key by key over `defaults.configuration` (a server's value wins). */
  configuration?: Record<string, unknown>;
  autoStop?: boolean;
  autostopMinutes?: number;
  rconPassword?: pulumi.Input<string>;
  serverPassword?: pulumi.Input<string>;
  waitForRunning?: boolean;
  readyTimeoutSeconds?: number;
}

/** A server's own settings: the defaults' fields, plus a fixed `name`. */
export interface FleetServer extends FleetServerSettings {
  /** Server name. @default the fleet's name, the key and a random suffix, kept across updates */
  name?: string;
}

export interface GameServerFleetArgs {
  /** Settings every server starts from. */
  defaults: FleetServerSettings;
  /** Servers by key (`groups-1`, `final`): the key names the server in the roster and in URNs. */
  servers?: Record<string, FleetServer>;
  /** Adds `count` servers keyed by `nameTemplate`; an entry of `servers` with the same key overrides one. */
  count?: number;
  /** Key of the n-th counted server (1-based): `{n}` is replaced by n. @default "server-{n}" */
  nameTemplate?: string;
  /**
   * Regions to spread servers without their own `region` over, round-robin in declaration order
   * (counted servers first). Pin a server's region to keep it when you reorder.
   */
  regions?: string[];
}

/** How players and admins reach one server. Passwords are secrets. */
export interface RosterEntry {
  name: pulumi.Output<string>;
  region: pulumi.Output<string>;
  connectUrl: pulumi.Output<string | null>;
  ip: pulumi.Output<string | null>;
  port: pulumi.Output<number | null>;
  serverPassword: pulumi.Output<string | null>;
  rconPassword: pulumi.Output<string>;
}

const KEY = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;

/**
 * A fleet of game servers from defaults plus named servers (or a count), spread across regions.
 * Each server is its own `GameServer` child keyed by its key, so adding one creates only it,
 * removing one deletes only it, and changing a default updates exactly the servers that inherit
 * it. An invalid definition throws before any API call, naming the server and the field.
 */
export class GameServerFleet extends pulumi.ComponentResource {
  /** The servers by key. */
  readonly servers: Record<string, GameServer>;
  /** Connect details by key; export it as a stack output (passwords stay secret). */
  readonly roster: Record<string, RosterEntry>;

  constructor(name: string, args: GameServerFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate first: an invalid definition throws before anything is registered.
    const definitions = resolveFleet(name, args);
    super("gameservers:index:GameServerFleet", name, {}, opts);
    this.servers = {};
    this.roster = {};
    for (const [key, server] of Object.entries(definitions)) {
      const child = new GameServer(`${name}-${key}`, server, { parent: this });
      this.servers[key] = child;
      this.roster[key] = {
        name: child.name,
        region: child.region,
        connectUrl: child.connectUrl,
        ip: child.ip,
        port: child.port,
        serverPassword: child.serverPassword,
        rconPassword: child.rconPassword,
      };
    }
    this.registerOutputs({ roster: this.roster });
  }
}

/**
 * Each server's GameServer arguments, validated. Exported for tests and for programs that want
 * to show a fleet definition without deploying it.
 */
export function resolveFleet(fleetName: string, args: GameServerFleetArgs): Record<string, GameServerArgs> {
  const problems: string[] = [];
  const entries: [string, FleetServer][] = [];
  const count = args.count ?? 0;
  if (!Number.isInteger(count) || count < 0 || count > 1000)
    problems.push(`count must be a whole number from 0 to 1000, got ${args.count}`);
  const template = args.nameTemplate ?? "server-{n}";
  if (count > 0 && !template.includes("{n}")) problems.push(`nameTemplate must contain {n}, got ${JSON.stringify(template)}`);
  for (let n = 1; n <= count && template.includes("{n}"); n++) {
    const key = template.replaceAll("{n}", String(n));
    entries.push([key, args.servers?.[key] ?? {}]);
  }
  for (const [key, server] of Object.entries(args.servers ?? {})) if (!entries.some(([k]) => k === key)) entries.push([key, server]);
  if (args.regions !== undefined && args.regions.length === 0) problems.push("regions must name at least one region when given");

  const out: Record<string, GameServerArgs> = {};
  let spread = 0;
  for (const [key, server] of entries) {
    if (!KEY.test(key)) {
      problems.push(`server "${key}": the key must be lowercase letters, digits and dashes (at most 48)`);
      continue;
    }
    const region = server.region ?? (args.regions?.length ? args.regions[spread++ % args.regions.length] : args.defaults.region);
    const merged: GameServerArgs = {
      gameType: server.gameType ?? args.defaults.gameType ?? "",
      region: region ?? "",
      configuration: { ...args.defaults.configuration, ...server.configuration },
      ...pick(server, args.defaults),
    };
    for (const f of checkInputs({}, plainValues(merged)).failures) problems.push(`server "${key}": ${f.reason}`);
    out[key] = merged;
  }
  if (entries.length === 0) problems.push("the fleet declares no server: give `servers` or `count`");
  if (problems.length > 0) throw new Error(`GameServerFleet "${fleetName}" is invalid:\n  - ${problems.join("\n  - ")}`);
  return out;
}

/** The optional settings, the server's value over the default's, unset ones left out. */
function pick(server: FleetServer, defaults: FleetServerSettings): Partial<GameServerArgs> {
  const out: Record<string, unknown> = {};
  for (const key of [
    "name",
    "autoStop",
    "autostopMinutes",
    "rconPassword",
    "serverPassword",
    "waitForRunning",
    "readyTimeoutSeconds",
  ] as const) {
    const value = key === "name" ? server.name : (server[key] ?? defaults[key]);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** The arguments as check() sees them, Outputs left out (check validates those at deployment). */
function plainValues(args: GameServerArgs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    if (v === undefined || pulumi.Output.isInstance(v) || v instanceof Promise) continue;
    out[k] = v;
  }
  if (out.gameType === "") delete out.gameType;
  if (out.region === "") delete out.region;
  return out;
}
