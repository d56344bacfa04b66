import * as pulumi from "@pulumi/pulumi";
import { nameFleetMember } from "../server-command/targets.js";
import { DEFAULT_READY_TIMEOUT_SECONDS } from "../shared/inputs.js";
import { type Address, createdThisRun, settledValue, whenRunning } from "./addresses.js";
import type { FleetMember, FleetServer, GameServerFleetArgs, RosterEntry } from "./args.js";
import { pack, SHARED_SETTINGS, unpackAll } from "./pack.js";
import { partOf } from "./parts.js";
import { resolve } from "./resolve.js";
import { FleetRoster } from "./roster/resource.js";
import { type FleetServerState, FleetServers } from "./servers/resource.js";

/**
 * A fleet of game servers from defaults plus named servers (or a count), spread across regions.
 * An invalid definition throws before any API call, naming the server and the field.
 *
 * The servers are held by up to 16 `<name>-servers-<n>` resources (FleetServers), each server in
 * its own part for good (the part its key hashes to; every fixed-name server in the first). A part's create
 * sends its servers' creates at once and returns as soon as the API accepted each one, so every
 * id is in the state before anything waits; the provider sends the parts' requests first come
 * first served, so under a rate limit the first part returns long before the last, and the
 * program watches its servers from then (see addresses.ts). On later runs a part touches
 * only the servers a change concerns (adding one creates only it, removing one deletes only it,
 * changing a default updates exactly the servers that inherit it, and `pulumi preview` prints
 * which). Then `<name>-roster` (FleetRoster) waits for all of them at once and carries their
 * addresses, so `pulumi up` returns when every server can take players and `roster` is real by then.
 *
 * `G` is the game type (from `defaults.gameType`). `K` is the servers' keys: those written in
 * `servers` when the fleet has no `count`, so that `fleet.servers["final-1"]` is a `FleetMember`
 * (not `| undefined` under `noUncheckedIndexedAccess`) and a key it lacks does not compile; else
 * `string`, and {@link GameServerFleet.server} returns a server or throws naming the key.
 */
export class GameServerFleet<G extends string = string, K extends string = string> extends pulumi.ComponentResource {
  /** The servers by key, as the fleet's state has them; read addresses from `roster`. */
  readonly servers: Record<K, FleetMember>;
  /** Connect details by key, known once every server runs; export it as a stack output (passwords stay secret). */
  readonly roster: Record<K, RosterEntry>;
  /** The resources that hold the fleet's servers, each a part of them (one per key hash; fixed names in the first). */
  readonly parts: FleetServers[];
  /** The resource that waits for the servers; `readyAt` is when all of them ran. */
  readonly ready: FleetRoster;
  readonly #name: string;

  /** Servers written out in `servers`, no `count`: their keys are the fleet's `K`. */
  constructor(
    name: string,
    args: GameServerFleetArgs<G> & { servers: Record<K, FleetServer<G>>; count?: undefined },
    opts?: pulumi.ComponentResourceOptions,
  );
  /** Counted servers, or keys known only at run time (`K` is `string`: see {@link GameServerFleet.server}). */
  constructor(name: string, args: GameServerFleetArgs<G>, opts?: pulumi.ComponentResourceOptions);
  constructor(name: string, args: GameServerFleetArgs<G>, opts?: pulumi.ComponentResourceOptions) {
    // Validate first: an invalid definition throws before anything is registered.
    const { definitions, spread } = resolve(name, args);
    super("gameservers:index:GameServerFleet", name, {}, opts);
    this.#name = name;
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
    // A server removed from the fleet is deleted by the live-match guard settings of `defaults`.
    const removal = Object.fromEntries(
      (["whenPlayersConnected", "drainTimeoutSeconds", "drainAnnouncement"] as const)
        .filter((k) => args.defaults[k] !== undefined)
        .map((k) => [k, args.defaults[k]]),
    );
    // The servers are spread over parts by key (see partOf); what every server of a part shares
    // is sent once (see pack.ts).
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
          { fleet: name, ...packed, passwords: partPasswords, removal },
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
    // ones this run created (see addresses.ts) and knows each address the moment its server
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
    // Filled below with every key of the definition, which K names (or is `string`).
    this.servers = {} as Record<K, FleetMember>;
    this.roster = {} as Record<K, RosterEntry>;
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
      this.servers[key as K] = member;
      // A ServerCommand given this serverId names the fleet and key in its lines.
      nameFleetMember(member.serverId, name, key);
      this.roster[key as K] = {
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

  /**
   * The server of this key. For a key typed `string` (read from a file or stack config, or a
   * counted one), where `servers[key]` may be `undefined` under `noUncheckedIndexedAccess`.
   * @throws Error naming the key and the fleet's keys when the fleet has no server of that key.
   */
  server(key: string): FleetMember {
    const servers: Record<string, FleetMember> = this.servers;
    // Own keys only: `servers.constructor` is not a server.
    if (Object.hasOwn(servers, key)) return servers[key]!;
    const keys = Object.keys(servers);
    const listed =
      keys.length > MAX_LISTED_KEYS
        ? `${keys.slice(0, MAX_LISTED_KEYS).join(", ")} and ${keys.length - MAX_LISTED_KEYS} more`
        : keys.join(", ");
    throw new Error(`GameServerFleet "${this.#name}" has no server "${key}"; its servers are ${listed || "none"}`);
  }
}

/** How many of a fleet's keys an unknown key's error lists. */
const MAX_LISTED_KEYS = 20;

/** What a part's inputs may share: the settings, and the regions a server's region is dealt from. */
const PACKED_SETTINGS = [...SHARED_SETTINGS, "spread"];
