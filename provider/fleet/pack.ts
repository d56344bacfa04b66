/**
 * The compact form of a fleet's servers in FleetServers inputs and state: the settings every
 * server shares are stored once (`common`), each server keeps only what is its own. A fleet of
 * 500 servers that share one configuration then sends, checks and stores it once, not 500 times.
 * Identity fields (id, name, status, address) are never factored out: each server's entry in the
 * state always says which server it is.
 */
import { isDeepStrictEqual } from "node:util";
import { isRecord, type Props } from "../shared/inputs.js";

/** What a fleet's inputs may share: a server's settings. */
export const SHARED_SETTINGS = [
  "gameType",
  "region",
  "configuration",
  "autoStop",
  "autostopMinutes",
  "readyTimeoutSeconds",
  "replaceIfStopped",
  "whenPlayersConnected",
  "drainTimeoutSeconds",
  "drainAnnouncement",
] as const;
/** What a fleet's state may share: the settings, and what the API reports alike for most servers. */
export const SHARED_OUTPUTS = [
  ...SHARED_SETTINGS,
  // The configuration keys each server's program declared (see game-server/outputs.ts): alike for most.
  "declaredConfiguration",
  "organizationId",
  "additionalPorts",
  "queuedAt",
  "allocationAttempts",
  "lastAllocationError",
] as const;

export interface Packed {
  common: Props;
  servers: Record<string, Props>;
}

/**
 * Factors out the `fields` (and the configuration keys) that every server has with the same plain
 * value. A value that is not plain JSON (a Pulumi Output in a program) stays with its server.
 */
export function pack(servers: Record<string, Props>, fields: readonly string[]): Packed {
  // A server that is not an object yet (a preview's unknown) is passed through as it is.
  const all = Object.values(servers).filter(isRecord);
  const common: Props = {};
  if (all.length < 2) return { common, servers };
  const shared = (get: (s: Props) => unknown) => {
    const first = get(all[0]!);
    return first !== undefined && isPlain(first) && all.every((s) => isDeepStrictEqual(get(s), first));
  };
  for (const field of fields) {
    if (field === "configuration") continue;
    if (shared((s) => s[field])) common[field] = all[0]![field];
  }
  if (fields.includes("configuration") && all.every((s) => isRecord(s.configuration))) {
    const configuration: Props = {};
    for (const key of Object.keys(all[0]!.configuration as Props)) {
      if (shared((s) => (s.configuration as Props)[key])) configuration[key] = (all[0]!.configuration as Props)[key];
    }
    common.configuration = configuration;
  }
  const out: Record<string, Props> = {};
  for (const [key, server] of Object.entries(servers)) {
    if (!isRecord(server)) {
      out[key] = server;
      continue;
    }
    const own: Props = {};
    for (const [field, value] of Object.entries(server)) {
      if (field === "configuration" && isRecord(common.configuration)) {
        const rest = Object.fromEntries(Object.entries(value as Props).filter(([k]) => !(k in (common.configuration as Props))));
        if (Object.keys(rest).length > 0) own.configuration = rest;
      } else if (!(field in common)) own[field] = value;
    }
    out[key] = own;
  }
  return { common, servers: out };
}

/** One server whole again: the common settings under its own, configurations merged key by key. */
export function unpack(common: unknown, server: Props): Props {
  if (!isRecord(common) || Object.keys(common).length === 0) return server;
  const whole: Props = { ...common, ...server };
  if (isRecord(common.configuration)) {
    whole.configuration = { ...common.configuration, ...(isRecord(server.configuration) ? server.configuration : {}) };
  }
  return whole;
}

/** Every server of a packed map, whole. */
export function unpackAll(common: unknown, servers: unknown): Record<string, Props> {
  const out: Record<string, Props> = {};
  if (!isRecord(servers)) return out;
  for (const [key, server] of Object.entries(servers)) out[key] = isRecord(server) ? unpack(common, server) : (server as Props);
  return out;
}

/** JSON-like: primitives, arrays and plain objects of them (no class instance such as an Output). */
function isPlain(value: unknown): boolean {
  if (value === null || typeof value !== "object") return typeof value !== "function";
  if (Array.isArray(value)) return value.every(isPlain);
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && Object.values(value).every(isPlain);
}
