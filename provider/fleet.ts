import * as pulumi from "@pulumi/pulumi";
import type { Cs2Configuration } from "../sdk/schemas/index.js";
import { type Address, createdThisRun, settledValue, whenRunning } from "./fleet-addresses.js";
import { pack, SHARED_SETTINGS, unpackAll } from "./fleet-pack.js";
import type { RosterServer } from "./fleet-roster-handlers.js";
import { GAME_SERVER_ARGS, type GameServerArgs, programStack, type Region } from "./game-server/resource.js";
import { checkInputs } from "./game-server/inputs.js";
import type { CheckFailure } from "./shared/check-failures.js";
import { DEFAULT_READY_TIMEOUT_SECONDS, isRecord } from "./shared/inputs.js";

import rosterProvider = require("./fleet-roster-provider.js");
import fleetProvider = require("./fleet-servers-provider.js");

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
  gameType?: G;
  /** AWS region code. Unset: one of the fleet's `regions` (see there), else `defaults.region`. */
  region?: Region;
  /** Merged key by key over `defaults.configuration` (a server's value wins). */
  configuration?: FleetConfigurationFor<G>;
  autoStop?: boolean;
  autostopMinutes?: number;
  rconPassword?: pulumi.Input<string>;
  serverPassword?: pulumi.Input<string>;
  waitForRunning?: boolean;
  readyTimeoutSeconds?: number;
  /** Replace the server at a `pulumi up` whose state says it is `stopped` (see GameServerArgs). @default false */
  replaceIfStopped?: boolean;
}

/** A server's own settings: the defaults' fields, plus a fixed `name`. */
export interface FleetServer<G extends string = string> extends FleetServerSettings<G> {
  /** Server name. @default the fleet's name, the key and a random suffix, kept across updates */
  name?: string;
}

/** Arguments of a {@link GameServerFleet}; `G` is the game type, inferred from `defaults.gameType`. */
export interface GameServerFleetArgs<G extends string = string> {
  /** Settings every server starts from. */
  defaults: FleetServerSettings<G>;
  /** Servers by key (`groups-1`, `final`): the key names the server in the roster and in URNs. */
  servers?: Record<string, FleetServer<G>>;
  /** Adds `count` servers keyed by `nameTemplate`; an entry of `servers` with the same key overrides one. */
  count?: number;
  /** Key of the n-th counted server (1-based): `{n}` is replaced by n. @default "server-{n}" */
  nameTemplate?: string;
  /**
   * Regions to spread servers without their own `region` over. A server that exists keeps its
   * region as long as that is one of these (whatever is added, removed, pinned or reordered
   * around it, and a stack deployed by the older round-robin keeps every server where it is); a
   * new server, or one whose region left this list, takes the region the fewest of the fleet's
   * servers are declared in (pinned ones by their pin, the others as dealt before it in
   * declaration order, counted servers first; ties go to the region listed first), so a fresh
   * fleet is dealt evenly. Adding a region moves no server; to rebalance, pin servers.
   */
  regions?: Region[];
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

const KEY = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;

/**
 * A fleet of game servers from defaults plus named servers (or a count), spread across regions.
 * An invalid definition throws before any API call, naming the server and the field.
 *
 * The servers are held by up to {@link FLEET_PARTS} `<name>-servers-<n>` resources (FleetServers),
 * each server in its own part for good (see {@link partOf}). A part's create
 * sends its servers' creates at once and returns as soon as the API accepted each one, so every
 * id is in the state before anything waits; the provider sends the parts' requests first come
 * first served, so under a rate limit the first part returns long before the last, and the
 * program watches its servers from then (see fleet-addresses.ts). On later runs a part touches
 * only the servers a change concerns (adding one creates only it, removing one deletes only it,
 * changing a default updates exactly the servers that inherit it, and `pulumi preview` prints
 * which). Then `<name>-roster` (FleetRoster) waits for all of them at once and carries their
 * addresses, so `pulumi up` returns when every server can take players and `roster` is real by then.
 */
export class GameServerFleet<G extends string = string> extends pulumi.ComponentResource {
  /** The servers by key, as the fleet's state has them; read addresses from `roster`. */
  readonly servers: Record<string, FleetMember>;
  /** Connect details by key, known once every server runs; export it as a stack output (passwords stay secret). */
  readonly roster: Record<string, RosterEntry>;
  /** The resources that hold the fleet's servers, each a part of them (see {@link partOf}). */
  readonly parts: FleetServers[];
  /** The resource that waits for the servers; `readyAt` is when all of them ran. */
  readonly ready: FleetRoster;

  constructor(name: string, args: GameServerFleetArgs<G>, opts?: pulumi.ComponentResourceOptions) {
    // Validate first: an invalid definition throws before anything is registered.
    const { definitions, spread } = resolve(name, args);
    super("gameservers:index:GameServerFleet", name, {}, opts);
    const specs: Record<string, pulumi.Input<Record<string, unknown>>> = {};
    const passwords: Record<string, Record<string, pulumi.Input<string>>> = {};
    const noWait = new Set<string>();
    let readyTimeoutSeconds = 0;
    for (const [key, server] of Object.entries(definitions)) {
      const { rconPassword, serverPassword, waitForRunning, ...spec } = server;
      specs[key] = {
        ...spec,
        ...(spec.name === undefined ? { autoNamePrefix: `${name}-${key}` } : {}),
        // A dealt region: the provider's check keeps the server's current one while it is in the list.
        ...(spread.has(key) ? { spread: args.regions } : {}),
      };
      if (rconPassword !== undefined || serverPassword !== undefined) {
        passwords[key] = {
          ...(rconPassword !== undefined ? { rconPassword } : {}),
          ...(serverPassword !== undefined ? { serverPassword } : {}),
        };
      }
      if (waitForRunning === false) noWait.add(key);
      readyTimeoutSeconds = Math.max(readyTimeoutSeconds, Number(server.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS));
    }
    // The servers are spread over parts by key (see partOf); what every server of a part shares
    // is sent once (see fleet-pack.ts).
    const keys = Object.keys(definitions);
    const byPart = new Map<number, string[]>();
    for (const key of keys) {
      const part = partOf(key, definitions[key]!.name !== undefined);
      if (!byPart.has(part)) byPart.set(part, []);
      byPart.get(part)!.push(key);
    }
    /** Each key's part, as an index into `this.parts`. */
    const partOfKey = new Map<string, number>();
    this.parts = [...byPart.entries()]
      .sort(([a], [b]) => a - b)
      .map(([part, partKeys], index) => {
        const packed = pack(
          Object.fromEntries(partKeys.map((k) => [k, specs[k]])) as Record<string, Record<string, unknown>>,
          PACKED_SETTINGS,
        );
        const partPasswords = Object.fromEntries(partKeys.filter((k) => passwords[k]).map((k) => [k, passwords[k]!]));
        const resource = new FleetServers(
          `${name}-servers-${part + 1}`,
          { fleet: name, ...packed, passwords: partPasswords },
          { parent: this },
        );
        for (const k of partKeys) partOfKey.set(k, index);
        return resource;
      });
    const dryRun = pulumi.runtime.isDryRun();
    const waits = pulumi.all(this.parts.map((p) => p.servers)).apply((all) => {
      const out: Record<string, { serverId: string; wait?: boolean }> = {};
      for (const key of keys) {
        // Each key from its own part: another part may still hold a server the key had (moved
        // there by a fixed name given or taken away) whose delete failed.
        const serverId = all[partOfKey.get(key)!]?.[key]?.serverId;
        if (typeof serverId === "string") out[key] = { serverId, ...(noWait.has(key) ? { wait: false } : {}) };
        // Not known in a preview (see the member's state below), not absent.
        else if (dryRun) out[key] = { serverId: pulumi.unknown as unknown as string, ...(noWait.has(key) ? { wait: false } : {}) };
      }
      return out;
    });
    const partStates = this.parts.map((p) =>
      pulumi
        .all([p.common, p.servers])
        .apply(([common, servers]) => unpackAll(common, servers) as unknown as Record<string, FleetServerState>),
    );
    // The fleet's deadline counts from when its servers exist (a fleet may wait on other
    // resources first): for the roster, from when the last part returned; for a server the
    // program watches, from when its part returned. While they start, the program watches the
    // ones this run created (see fleet-addresses.ts) and knows each address the moment its server
    // runs; the roster starts when every watch has ended, so it mostly confirms what the program saw.
    const timeoutMs = readyTimeoutSeconds * 1000;
    const deadline = pulumi.all(partStates).apply(() => Date.now() + timeoutMs);
    const watch = !dryRun;
    const watched: Record<string, pulumi.Output<Address | undefined>> = {};
    for (const key of keys) {
      if (!watch || noWait.has(key)) continue;
      // One apply of the part's state each: `pulumi.all` would walk the part's state once per server.
      watched[key] = partStates[partOfKey.get(key)!]!.apply(async (servers) => {
        const s = servers[key];
        return typeof s?.serverId === "string" && createdThisRun(s.createdAt) ? whenRunning(s.serverId, Date.now() + timeoutMs) : undefined;
      });
    }
    const rosterServers = watch ? pulumi.all([waits, pulumi.all(Object.values(watched))]).apply(([w]) => w) : waits;
    this.ready = new FleetRoster(
      `${name}-roster`,
      {
        fleet: name,
        servers: rosterServers,
        parts: this.parts.map((p) => p.id),
        readyTimeoutSeconds,
        waitUntil: deadline.apply((until) => new Date(until).toISOString()),
      },
      { parent: this },
    );
    this.servers = {};
    this.roster = {};
    for (const key of keys) {
      const part = partOfKey.get(key)!;
      // In a preview the engine gives a part it updates its new inputs as outputs (the
      // dynamic-provider host has no preview of an update), and those hold no server: a server
      // without an id there is not known yet, not absent (a ServerCommand on it would be refused).
      const state = partStates[part]!.apply((servers) => {
        const s = servers[key];
        return dryRun && typeof s?.serverId !== "string" ? (pulumi.unknown as unknown as FleetServerState) : s;
      });
      const secret = this.parts[part]!.passwords.apply((all) => all?.[key]);
      const rostered = this.ready.servers.apply((servers) => servers[key]);
      // Depends on the servers' resource only: a resource that needs this address starts as soon as it is known.
      const seen = watched[key];
      const entry = seen ? seen.apply(async (address): Promise<Address | undefined> => address ?? settledValue(rostered)) : rostered;
      const member: FleetMember = {
        serverId: state.apply((s) => s?.serverId as string),
        name: state.apply((s) => s?.name as string),
        gameType: state.apply((s) => s?.gameType as string),
        region: state.apply((s) => s?.region as string),
        status: state.apply((s) => s?.status ?? "unknown"),
        rconPassword: secret.apply((p) => p?.rconPassword as string),
        serverPassword: secret.apply((p) => p?.serverPassword ?? null),
      };
      this.servers[key] = member;
      this.roster[key] = {
        name: member.name,
        region: member.region,
        status: rostered.apply((e) => e?.status ?? "unknown"),
        connectUrl: entry.apply((e) => e?.connectUrl ?? null),
        ip: entry.apply((e) => e?.ip ?? null),
        port: entry.apply((e) => e?.port ?? null),
        serverPassword: member.serverPassword,
        rconPassword: member.rconPassword,
      };
    }
    this.registerOutputs({ roster: this.roster });
  }
}

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
        __stack: programStack(),
      },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "passwords"] },
      "gameservers",
      "FleetServers",
    );
  }
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

/**
 * Each server's GameServer arguments, validated. Exported for tests and for programs that want
 * to show a fleet definition without deploying it. A server without its own `region` shows the
 * region the fleet's `regions` deal it when it is new: one that exists keeps its own while it is
 * in the list (see {@link GameServerFleetArgs.regions}).
 */
export function resolveFleet<G extends string>(fleetName: string, args: GameServerFleetArgs<G>): Record<string, GameServerArgs> {
  return resolve(fleetName, args).definitions;
}

/** {@link resolveFleet}, and the keys whose region the fleet's `regions` dealt. */
function resolve<G extends string>(
  fleetName: string,
  args: GameServerFleetArgs<G>,
): { definitions: Record<string, GameServerArgs>; spread: Set<string> } {
  const problems: string[] = [];
  const fail = () => new Error(`GameServerFleet "${fleetName}" is invalid:\n  - ${problems.join("\n  - ")}`);
  if (!isRecord(args)) {
    problems.push("the fleet's arguments must be an object with `defaults` and `servers` or `count`");
    throw fail();
  }
  problems.push(...unknownKeys("the fleet", args, FLEET_ARGS));
  const defaults: FleetServerSettings = isRecord(args.defaults) ? args.defaults : {};
  if (args.defaults !== undefined && !isRecord(args.defaults)) problems.push("defaults must be an object of server settings");
  problems.push(...unknownKeys("defaults", defaults, SERVER_SETTINGS));
  if ("name" in defaults) problems.push("defaults cannot set a name: names are per server (`servers.<key>.name`)");
  const servers: Record<string, FleetServer> = isRecord(args.servers) ? (args.servers as Record<string, FleetServer>) : {};
  if (args.servers !== undefined && !isRecord(args.servers)) problems.push("servers must be an object of servers by key");

  // Limits first: nothing is built for a count that will be refused.
  const count = args.count ?? 0;
  const countOk = Number.isInteger(count) && count >= 0 && count <= MAX_FLEET_SIZE;
  if (!countOk) problems.push(`count must be a whole number from 0 to ${MAX_FLEET_SIZE}, got ${JSON.stringify(args.count)}`);
  const template = args.nameTemplate ?? "server-{n}";
  const templateOk = typeof template === "string" && template.includes("{n}");
  if (countOk && count > 0 && !templateOk) problems.push(`nameTemplate must contain {n}, got ${JSON.stringify(template)}`);
  if (args.regions !== undefined && (!Array.isArray(args.regions) || args.regions.length === 0)) {
    problems.push("regions must name at least one region when given");
  }
  if (!countOk) throw fail();

  const entries: [string, FleetServer][] = [];
  for (let n = 1; templateOk && n <= count; n++) {
    const key = template.replaceAll("{n}", String(n));
    entries.push([key, servers[key] ?? {}]);
  }
  for (const [key, server] of Object.entries(servers)) if (!entries.some(([k]) => k === key)) entries.push([key, server]);
  if (entries.length > MAX_FLEET_SIZE) {
    problems.push(`the fleet declares ${entries.length} servers; at most ${MAX_FLEET_SIZE}`);
    throw fail();
  }
  if (entries.length === 0) problems.push("the fleet declares no server: give `servers` or `count`");

  const out: Record<string, GameServerArgs> = {};
  const spread = new Set<string>();
  const fixedNames = new Map<string, string>();
  const checked = new Map<string, CheckFailure[]>();
  const deal = args.regions?.length ? dealer(args.regions, entries) : undefined;
  for (const [key, server] of entries) {
    if (!KEY.test(key)) {
      problems.push(`server "${key}": the key must be lowercase letters, digits and dashes (at most 48)`);
      continue;
    }
    if (typeof server !== "object" || server === null || Array.isArray(server)) {
      problems.push(`server "${key}": must be an object of server settings`);
      continue;
    }
    problems.push(...unknownKeys(`server "${key}"`, server, [...SERVER_SETTINGS, "name"]));
    if (typeof server.name === "string") {
      const other = fixedNames.get(server.name);
      if (other !== undefined)
        problems.push(`server "${key}": the name "${server.name}" is already used by server "${other}"; names must be unique`);
      else fixedNames.set(server.name, key);
    }
    const dealt = (server.region ?? undefined) === undefined && deal ? deal() : undefined;
    if (dealt !== undefined) spread.add(key);
    const region = server.region ?? dealt ?? defaults.region;
    const merged: GameServerArgs = {
      gameType: server.gameType ?? defaults.gameType ?? "",
      region: region ?? "",
      configuration: { ...defaults.configuration, ...server.configuration },
      ...pick(server, defaults),
    };
    // Counted servers mostly share their settings: each distinct set is checked once.
    const values = plainValues(merged);
    const fingerprint = JSON.stringify(values);
    const failures = checked.get(fingerprint) ?? checkInputs({}, values).failures;
    checked.set(fingerprint, failures);
    for (const f of failures) problems.push(`server "${key}": ${f.reason}`);
    out[key] = merged;
  }
  if (problems.length > 0) throw fail();
  return { definitions: out, spread };
}

/**
 * Deals the regions to the servers without their own, one call per server in declaration order:
 * each takes the region the fewest servers are in so far (the pinned ones counted from the
 * start), the first listed on a tie. With no pin this is round-robin in the list's order, as the
 * fleet dealt before; only a new server's region comes from here (see GameServerFleetArgs.regions).
 */
function dealer(regions: readonly string[], entries: readonly [string, FleetServer][]): () => string {
  const used = new Map<string, number>(regions.map((r) => [r, 0]));
  for (const [, server] of entries) {
    const pin = isRecord(server) ? server.region : undefined;
    if (typeof pin === "string" && used.has(pin)) used.set(pin, used.get(pin)! + 1);
  }
  return () => {
    let best = regions[0]!;
    for (const r of used.keys()) if (used.get(r)! < used.get(best)!) best = r;
    used.set(best, used.get(best)! + 1);
    return best;
  };
}

/**
 * How many parts (FleetServers resources) a fleet's servers are spread over, at most: a fleet
 * registers only the parts that hold a server. @default 16
 */
export const FLEET_PARTS = 16;

/**
 * The part (0 to {@link FLEET_PARTS} - 1) that holds a server, for good: every server with a
 * fixed `name` is in part 0, so a name moved from one key to another is freed (the old server
 * deleted) before it is taken, within one operation; an auto-named server is in the part its key
 * hashes to (FNV-1a), so it never moves when others are added or removed. Giving a server a fixed
 * name, or taking it away, moves it to another part: it is replaced.
 */
export function partOf(key: string, fixedName: boolean): number {
  if (fixedName) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return 1 + (hash % (FLEET_PARTS - 1));
}

/** What a part's inputs may share: the settings, and the regions a server's region is dealt from. */
const PACKED_SETTINGS = [...SHARED_SETTINGS, "spread"];
/** The most servers one fleet declares. @default 1000 */
export const MAX_FLEET_SIZE = 1000;
const FLEET_ARGS = ["defaults", "servers", "count", "nameTemplate", "regions"];
/** What defaults and servers may set: a GameServer's arguments but the name (per server only) and adoption. */
const SERVER_SETTINGS = GAME_SERVER_ARGS.filter((k) => k !== "name" && k !== "adoptServerId");
/** The settings merged whole (the server's value over the default's); the rest merge specially. */
const PLAIN_SETTINGS = SERVER_SETTINGS.filter((k) => k !== "gameType" && k !== "region" && k !== "configuration");

/** One problem per key of `value` that is not in `known`, naming where it is. */
function unknownKeys(where: string, value: object, known: readonly string[]): string[] {
  return Object.keys(value)
    .filter((k) => !known.includes(k))
    .map((k) => `${where}: ${k} is not a setting here (settings: ${known.join(", ")})`);
}

/** The optional settings, the server's value over the default's, unset ones left out. */
function pick(server: FleetServer, defaults: FleetServerSettings): Partial<GameServerArgs> {
  const out: Record<string, unknown> = {};
  if (server.name !== undefined) out.name = server.name;
  for (const key of PLAIN_SETTINGS as (keyof FleetServerSettings)[]) {
    const value = server[key] ?? defaults[key];
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
