import { FLEET_SERVERS_TYPE, GAME_SERVER_TYPE, UNRESOLVED_ID_PREFIX } from "../../internal/pulumi.js";
import type { GameServer } from "../../schemas/index.js";
import { findOrphans, type OrphanReason, readStateClaims, type StateClaims } from "../orphans.js";

/** Pulumi's mark of a secret value in a checkpoint (see `orphans.ts`): such values are never read. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";

/** Which resource of the stack holds a server. */
export interface StackOwner {
  /** The GameServer's resource name, or the GameServerFleet's name. */
  resource: string;
  /** The server's key in its fleet; absent for a GameServer. */
  key?: string;
  /** The server's name as the state has it, when it is not a secret. */
  name?: string;
}

/** A stack's servers, read from `pulumi stack export` output. */
export interface StackView {
  /** By server id: the resource (and fleet key) that owns it. */
  owners: Map<string, StackOwner>;
  claims: StateClaims;
}

/**
 * Reads a checkpoint as `orphans` does ({@link readStateClaims}; its `StateFormatError` passes
 * through), and names the resource and fleet key of each server it owns.
 */
export function readStack(text: string): StackView {
  const claims = readStateClaims(text);
  const root = record(JSON.parse(text));
  const deployment = record(root?.deployment) ?? root;
  const owners = new Map<string, StackOwner>();
  const resources = Array.isArray(deployment?.resources) ? deployment.resources : [];
  for (const item of resources) {
    const r = record(item);
    const inputs = record(plain(r?.inputs));
    const outputs = record(plain(r?.outputs));
    const urnName = typeof r?.urn === "string" ? r.urn.split("::").at(-1) : undefined;
    if (r?.type === GAME_SERVER_TYPE) {
      if (typeof r.id === "string" && !r.id.startsWith(UNRESOLVED_ID_PREFIX)) {
        owners.set(r.id, { resource: urnName ?? r.id, ...nameOf(outputs, inputs) });
      }
    } else if (r?.type === FLEET_SERVERS_TYPE) {
      const fleet = plain(inputs?.fleet);
      const resource = typeof fleet === "string" && fleet ? fleet : (urnName ?? "fleet");
      const ins = record(plain(inputs?.servers)) ?? {};
      const outs = record(plain(outputs?.servers)) ?? {};
      for (const [key, value] of Object.entries(outs)) {
        const out = record(plain(value));
        const id = plain(out?.id);
        if (typeof id !== "string" || !id || id.startsWith(UNRESOLVED_ID_PREFIX)) continue;
        owners.set(id, { resource, key, ...nameOf(out, record(plain(ins[key]))) });
      }
    }
  }
  return { owners, claims };
}

/** Why a live server no resource owns looks like the stack's (empty when it does not). */
export function orphanReasons(stack: StackView, server: GameServer): OrphanReason[] {
  return findOrphans(stack.claims, [server])[0]?.reasons ?? [];
}

function nameOf(...sources: (Record<string, unknown> | undefined)[]): { name?: string } {
  for (const source of sources) {
    const name = plain(source?.name);
    if (typeof name === "string" && name) return { name };
  }
  return {};
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The value, or undefined when it is a secret. */
function plain(value: unknown): unknown {
  const r = record(value);
  return r && SECRET_SIG_KEY in r ? undefined : value;
}
