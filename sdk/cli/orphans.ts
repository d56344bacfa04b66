import { FLEET_SERVERS_TYPE, GAME_SERVER_TYPE, UNRESOLVED_ID_PREFIX } from "../internal/pulumi.js";
import type { GameServer } from "../schemas/index.js";

/**
 * The key Pulumi marks a secret value with in a checkpoint: `specialSigKey` of @pulumi/pulumi
 * (https://github.com/pulumi/pulumi/blob/master/sdk/nodejs/runtime/rpc.ts).
 */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
/** The provider names a server `<autoNamePrefix cut to 92 characters>-<7 hex>`. */
const AUTO_NAME_PREFIX_MAX = 92;

/** Why a live server is listed. */
export type OrphanReason = "pending create" | "unresolved create" | "same auto-name prefix" | "interrupted offline run";

/** What a checkpoint says about our servers. */
export interface StateClaims {
  /** Server ids owned by a resource. */
  ownedIds: Set<string>;
  /** Names of servers a create may have left: from pending creates and unresolved placeholders. */
  names: Map<string, Set<OrphanReason>>;
  /** `autoNamePrefix` of the servers of our resources and pending operations. */
  autoNamePrefixes: Set<string>;
  /** Resources of our types (GameServer, FleetServers) in the state. */
  resourceCount: number;
  /** Servers those resources hold: one per GameServer, one per server of a FleetServers. */
  serverCount: number;
  /** Pending operations that may have created servers: creates, and updates of a FleetServers. */
  pendingCreates: number;
}

/** A live server that looks like ours and that no resource of the state owns. */
export interface Orphan {
  server: GameServer;
  reasons: OrphanReason[];
}

/** The checkpoint could not be read; the message never quotes its content. */
export class StateFormatError extends Error {
  override name = "StateFormatError";
}

/**
 * Reads `pulumi stack export` output: `{ version: 3, deployment: { resources, pending_operations } }`,
 * or a bare `deployment` object. A GameServer resource is one server; a FleetServers resource
 * holds a GameServerFleet's servers, each read as a GameServer is. Secret values (Pulumi's
 * signature key) are treated as absent: they are neither matched nor printed.
 */
export function readStateClaims(text: string): StateClaims {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // JSON.parse quotes the text around the error; the text may hold secrets.
    const position = error instanceof Error ? /position (\d+)/.exec(error.message)?.[1] : undefined;
    throw new StateFormatError(`the state is not valid JSON${position ? ` (at character ${position})` : ""}`);
  }
  const root = record(raw);
  if (!root) throw new StateFormatError("the state is not a JSON object");
  const deployment = root.deployment !== undefined ? record(root.deployment) : root;
  if (!deployment) throw new StateFormatError("the state's deployment is not an object");
  const resources = deployment.resources ?? [];
  const pending = deployment.pending_operations ?? [];
  if (!Array.isArray(resources)) throw new StateFormatError("deployment.resources is not an array");
  if (!Array.isArray(pending)) throw new StateFormatError("deployment.pending_operations is not an array");
  if (deployment.resources === undefined && root.deployment === undefined) {
    throw new StateFormatError("this is not `pulumi stack export` output: no deployment and no resources");
  }

  const claims: StateClaims = {
    ownedIds: new Set(),
    names: new Map(),
    autoNamePrefixes: new Set(),
    resourceCount: 0,
    serverCount: 0,
    pendingCreates: 0,
  };
  const claimName = (name: unknown, reason: OrphanReason) => {
    if (typeof name !== "string" || !name) return;
    const reasons = claims.names.get(name) ?? new Set();
    reasons.add(reason);
    claims.names.set(name, reasons);
  };
  const claimPrefix = (inputs: Record<string, unknown> | undefined, outputs?: Record<string, unknown>) => {
    const prefix = plain(inputs?.autoNamePrefix) ?? plain(outputs?.autoNamePrefix);
    if (typeof prefix === "string" && prefix) claims.autoNamePrefixes.add(prefix);
  };

  for (const item of resources) {
    const servers = serversOf(record(item));
    if (!servers) continue;
    claims.resourceCount++;
    for (const { id, inputs, outputs } of servers) {
      claims.serverCount++;
      claimPrefix(inputs, outputs);
      if (typeof id !== "string" || !id) continue;
      if (id.startsWith(UNRESOLVED_ID_PREFIX)) claimName(plain(outputs?.name) ?? plain(inputs?.name), "unresolved create");
      else claims.ownedIds.add(id);
    }
  }
  for (const item of pending) {
    const op = record(item);
    const r = record(op?.resource);
    const servers = serversOf(r);
    if (!op || !servers) continue;
    // An update of a fleet creates the servers it adds; an update of a GameServer never creates one.
    const creates = op.type === "creating" || (op.type === "updating" && r?.type === FLEET_SERVERS_TYPE);
    if (creates) claims.pendingCreates++;
    for (const { inputs } of servers) {
      claimPrefix(inputs);
      if (creates) claimName(plain(inputs?.name), "pending create");
    }
  }
  return claims;
}

/** One server of a resource: its id (the API's, or a placeholder) and its own inputs and outputs. */
interface StateServer {
  id: unknown;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

/** The servers of a resource of our types; undefined for any other resource. */
function serversOf(r: Record<string, unknown> | undefined): StateServer[] | undefined {
  const inputs = record(r?.inputs);
  const outputs = record(r?.outputs);
  if (r?.type === GAME_SERVER_TYPE) return [{ id: r.id, inputs, outputs }];
  if (r?.type !== FLEET_SERVERS_TYPE) return undefined;
  const ins = record(plain(inputs?.servers)) ?? {};
  const outs = record(plain(outputs?.servers)) ?? {};
  return [...new Set([...Object.keys(ins), ...Object.keys(outs)])].map((key) => {
    const out = record(plain(outs[key]));
    return { id: out?.id, inputs: record(plain(ins[key])), outputs: out };
  });
}

/** The live servers that look like ours and that no resource owns, each with why. */
export function findOrphans(claims: StateClaims, live: readonly GameServer[]): Orphan[] {
  const patterns = [...claims.autoNamePrefixes].map(
    (p) => new RegExp(`^${p.slice(0, AUTO_NAME_PREFIX_MAX).replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&")}-[0-9a-f]{7}$`),
  );
  const orphans: Orphan[] = [];
  for (const server of live) {
    if (claims.ownedIds.has(server.id) || server.deletedAt) continue;
    const reasons = new Set<OrphanReason>(claims.names.get(server.name));
    if (patterns.some((re) => re.test(server.name))) reasons.add("same auto-name prefix");
    if (reasons.size) orphans.push({ server, reasons: [...reasons] });
  }
  return orphans;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The value, or undefined when it is a secret (never used, never printed). */
function plain(value: unknown): unknown {
  const r = record(value);
  return r && SECRET_SIG_KEY in r ? undefined : value;
}
