/**
 * A fleet's definition, checked and merged into each server's GameServer arguments before anything
 * is registered, and the deal of the fleet's `regions` to the servers without their own.
 */
import * as pulumi from "@pulumi/pulumi";
import { didYouMean, regionTypo } from "../../sdk/internal/index.js";
import { RegionCode } from "../../sdk/schemas/index.js";
import { checkInputs } from "../game-server/inputs.js";
import { GAME_SERVER_ARGS, type GameServerArgs } from "../game-server/resource.js";
import type { CheckFailure } from "../shared/check-failures.js";
import { isRecord } from "../shared/inputs.js";
import type { FleetServer, FleetServerSettings, GameServerFleetArgs } from "./args.js";

const KEY = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;

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
export function resolve<G extends string>(
  fleetName: string,
  args: GameServerFleetArgs<G>,
): { definitions: Record<string, GameServerArgs>; spread: Set<string> } {
  const problems: string[] = [];
  // One line per mistake: a default's mistake is the same line for every server that inherits it.
  const fail = () => new Error(`GameServerFleet "${fleetName}" is invalid:\n  - ${[...new Set(problems)].join("\n  - ")}`);
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
  // Said once here: the servers dealt a region skip what they would each say of it.
  for (const region of Array.isArray(args.regions) ? args.regions : []) {
    const code = RegionCode.safeParse(region);
    if (!code.success) problems.push(`regions: ${JSON.stringify(region)} ${code.error.issues[0]?.message ?? "is not a region code"}`);
    else if (regionTypo(code.data).length > 0)
      problems.push(`regions: ${JSON.stringify(region)} is not a known region${didYouMean(code.data, regionTypo(code.data))}`);
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
    for (const f of failures) {
      const where = origin(f, server, dealt !== undefined);
      if (where === "regions") continue;
      problems.push(`${where === "defaults" ? "defaults" : `server "${key}"`}: ${f.reason}`);
    }
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

/** The most servers one fleet declares. @default 1000 */
export const MAX_FLEET_SIZE = 1000;
const FLEET_ARGS = ["defaults", "servers", "count", "nameTemplate", "regions"];
/** What defaults and servers may set: a GameServer's arguments but the name (per server only) and adoption. */
const SERVER_SETTINGS = GAME_SERVER_ARGS.filter((k) => k !== "name" && k !== "adoptServerId");
/** The settings merged whole (the server's value over the default's); the rest merge specially. */
const PLAIN_SETTINGS = SERVER_SETTINGS.filter((k) => k !== "gameType" && k !== "region" && k !== "configuration");

/** One problem per key of `value` that is not in `known`, naming where it is and what it probably meant. */
function unknownKeys(where: string, value: object, known: readonly string[]): string[] {
  return Object.keys(value)
    .filter((k) => !known.includes(k))
    .map((k) => {
      const suggestion = didYouMean(k, known);
      return `${where}: ${k} is not a setting here${suggestion || ` (settings: ${known.join(", ")})`}`;
    });
}

/**
 * Where the value a failure is about was set: on the server, in `defaults` (also a required
 * value set nowhere), or dealt from `regions`.
 */
function origin(failure: CheckFailure, server: FleetServer, dealt: boolean): "server" | "defaults" | "regions" {
  const [top, field] = (failure.path ?? failure.property).split(".");
  if (top === "configuration") {
    const own = isRecord(server.configuration) ? server.configuration : {};
    if (field === undefined) return isRecord(server.configuration) && Object.keys(own).length > 0 ? "server" : "defaults";
    return field in own ? "server" : "defaults";
  }
  if (top === "region" && dealt) return "regions";
  return top !== undefined && top in server && (server as Record<string, unknown>)[top] !== undefined ? "server" : "defaults";
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
