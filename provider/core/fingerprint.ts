/**
 * Exactly-once creates. The API has no idempotency key and its names are not unique, so a
 * create whose outcome is unknown is settled by evidence, never by name alone:
 * a server came from our POST only if it carries everything that POST sent (name, game type,
 * region, the configuration keys, both passwords: the generated RCON password alone is 144
 * random bits) and was created no earlier than the POST was sent, on the API's own clock.
 */
import { createHash, randomBytes } from "node:crypto";
import type { CreateGameServerRequest, GameServer, GameServersClient, RequestOptions } from "../../sdk/index.js";
import { CS2_SECRET_KEYS } from "../../sdk/schemas/index.js";

/**
 * How much earlier than our POST (on the API's clock) a server's `createdAt` may be and still
 * be the POST's: the `Date` header we measure the API's clock by has one-second resolution.
 * @default 2000 ms
 */
export const CLOCK_TOLERANCE_MS = 2_000;

/** What one create POST asked for, and when: enough to tell the server it made from any other. */
export interface CreateIntent {
  name: string;
  gameType: string;
  region: string;
  /** The configuration keys sent (passwords excluded): an API may echo more than it was sent. */
  keys: string[];
  /** sha256 (hex) of a salt and everything identifying that was sent, passwords included. */
  fingerprint: string;
  salt: string;
  /** Epoch ms on this machine's clock just before the first POST was sent. */
  sentAt: number;
}

interface Identifying {
  name: string;
  gameType: string;
  region: string;
  configuration: Record<string, unknown>;
  rconPassword: unknown;
  serverPassword: unknown;
}

/** The intent of a create body, stamped now: call it right before the POST. */
export function intentOf(body: CreateGameServerRequest, now = Date.now()): CreateIntent {
  const configuration = body.configuration as Record<string, unknown>;
  const keys = Object.keys(configuration)
    .filter((k) => !CS2_SECRET_KEYS.includes(k))
    .sort();
  const salt = randomBytes(8).toString("hex");
  const identifying: Identifying = {
    name: body.name,
    gameType: body.gameType,
    region: body.region,
    configuration: pick(configuration, keys),
    rconPassword: configuration.rconPassword ?? null,
    serverPassword: configuration.serverPassword ?? null,
  };
  return { name: body.name, gameType: body.gameType, region: body.region, keys, salt, fingerprint: hash(salt, identifying), sentAt: now };
}

/**
 * Did this server come from the POST of `intent`? Live, the same identifying fields, and created
 * no earlier than the POST was sent on the API's clock (`apiClockOffsetMs`: the API's minus ours).
 */
export function cameFrom(intent: CreateIntent, server: GameServer, apiClockOffsetMs: number): boolean {
  if (server.deletedAt !== null || server.name !== intent.name || server.gameType !== intent.gameType || server.region !== intent.region) {
    return false;
  }
  const identifying: Identifying = {
    name: server.name,
    gameType: server.gameType,
    region: server.region,
    configuration: pick(server.configuration, intent.keys),
    rconPassword: server.rconPassword ?? null,
    serverPassword: server.serverPassword ?? null,
  };
  if (hash(intent.salt, identifying) !== intent.fingerprint) return false;
  return Date.parse(server.createdAt) >= intent.sentAt + apiClockOffsetMs - CLOCK_TOLERANCE_MS;
}

/**
 * The live servers that came from `intent`'s POST, oldest first. Lists the whole organization
 * (the API has no name filter); `exclude` holds ids known to predate the POST.
 * Throws when the list fails: the caller must then treat the outcome as still unknown.
 */
export async function serversFrom(
  client: GameServersClient,
  intent: CreateIntent,
  options: RequestOptions = {},
  exclude: ReadonlySet<string> = new Set(),
): Promise<GameServer[]> {
  const candidates: GameServer[] = [];
  for await (const server of client.gameServers.list({ pageSize: 100 }, options)) {
    if (server.name === intent.name && !exclude.has(server.id)) candidates.push(server);
  }
  // The list's own response has told us the API's clock.
  const offset = client.apiClockOffsetMs ?? 0;
  return candidates.filter((s) => cameFrom(intent, s, offset)).sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
}

/** Live servers carrying `name` (any organization member may have made them). */
export async function liveServersNamed(client: GameServersClient, name: string, options: RequestOptions = {}): Promise<GameServer[]> {
  const found: GameServer[] = [];
  for await (const server of client.gameServers.list({ pageSize: 100 }, options)) {
    if (server.name === name && server.deletedAt === null) found.push(server);
  }
  return found;
}

function pick(source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (source[k] !== undefined) out[k] = source[k];
  return out;
}

function hash(salt: string, value: Identifying): string {
  return createHash("sha256").update(salt).update(canonical(value)).digest("hex");
}

/** JSON with object keys sorted at every depth: the same value always hashes the same. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
