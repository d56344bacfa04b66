import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { GameServerFleet, type GameServerFleetArgs } from "pulumi-gameservers";
import { expect } from "vitest";
import { FLEET_SERVERS_TYPE } from "../../sdk/internal/index.js";
import type { Control } from "./emulator.js";
import type { ProviderHost } from "./provider-host.js";

// Pulumi's secret wrappers as mocks receive them, and its own drain of outstanding RPCs
// (internal, as the offline runner uses them).
// biome-ignore lint/suspicious/noExplicitAny: untyped internals
const rpc: any = createRequire(import.meta.url)("@pulumi/pulumi/runtime/rpc");
export const { waitForRPCs } = createRequire(import.meta.url)("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

type Props = Record<string, unknown>;

/**
 * The FleetServers parts a fleet definition (named `cup`) declares, by resource name, as the
 * engine receives them (secrets unwrapped). Throws when it declares none.
 */
export async function declareParts(args: GameServerFleetArgs): Promise<Record<string, Props>> {
  const declared: Record<string, Props> = {};
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        if (a.type === FLEET_SERVERS_TYPE) declared[a.name] = unwrapSecrets(a.inputs) as Props;
        return { id: a.custom ? `${a.name}_id` : undefined, state: a.inputs };
      },
      call: (a) => a.inputs,
    },
    "fleet",
    "test",
    false,
  );
  new GameServerFleet("cup", args);
  // Every registration, the component's outputs included, reaches these mocks before the next
  // declaration replaces them.
  await waitForRPCs();
  if (Object.keys(declared).length === 0) throw new Error("the fleet declared no FleetServers resource");
  return declared;
}

function unwrapSecrets(value: unknown): unknown {
  if (rpc.isRpcSecret(value)) return unwrapSecrets(rpc.unwrapRpcSecret(value));
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  return value;
}

/** A fleet's FleetServers parts through the real host, as `pulumi up` drives them. */
export class PartsStack {
  readonly parts = new Map<string, { id: string; inputs: Props; outs: Props }>();
  constructor(readonly host: ProviderHost) {}

  /**
   * Each declared part checked, then created, or diffed and updated when the provider reports
   * changes (its new inputs recorded either way, as the engine records them); a part no longer
   * declared is deleted. Returns what happened to each part that changed.
   */
  async up(declared: Record<string, Props>): Promise<Record<string, "create" | "update" | "delete">> {
    const done: Record<string, "create" | "update" | "delete"> = {};
    for (const [name, news] of Object.entries(declared)) {
      const part = this.parts.get(name);
      const { inputs, failures } = await this.host.check(name, part?.inputs ?? {}, news);
      expect(failures).toEqual([]);
      if (!part) {
        const made = await this.host.create(name, inputs);
        this.parts.set(name, { id: made.id, inputs, outs: made.outs });
        done[name] = "create";
        continue;
      }
      const diff = await this.host.diff(name, part.id, part.outs, inputs);
      // A part is never replaced: its servers are, one by one.
      expect(diff.replaces).toEqual([]);
      if (diff.changes !== "some") {
        part.inputs = inputs;
        continue;
      }
      Object.assign(part, { outs: await this.host.update(name, part.id, part.outs, inputs), inputs });
      done[name] = "update";
    }
    for (const [name, part] of this.parts) {
      if (name in declared) continue;
      await this.host.delete(name, part.id, part.outs);
      this.parts.delete(name);
      done[name] = "delete";
    }
    return done;
  }

  /** `pulumi refresh`: each part read, its state replaced by what the read returned. */
  async refresh(): Promise<void> {
    for (const [name, part] of this.parts) {
      const read = await this.host.read(name, part.id, part.outs);
      expect(read.id).toBe(part.id);
      part.outs = read.props;
    }
  }

  /** Every part's servers, by key. */
  servers(): Record<string, Props> {
    return Object.assign({}, ...[...this.parts.values()].map((p) => p.outs.servers as Record<string, Props>));
  }

  server(key: string): Props {
    return this.servers()[key]!;
  }

  keys(): string[] {
    return Object.keys(this.servers()).sort();
  }

  /** Each server's id and region, by key. */
  placed(): Record<string, [unknown, unknown]> {
    return Object.fromEntries(Object.entries(this.servers()).map(([k, s]) => [k, [s.serverId, s.region]]));
  }

  async destroy(): Promise<void> {
    await this.up({});
  }
}

/** Requests per route so far. */
export const requests = async (env: { control: Control }) => (await env.control.stats()).requests.byRoute;

/**
 * Requests per route between two snapshots, the routes that moved only; the console's are left
 * out: the live-match guard asks a server's console about its players before deleting it (a read).
 */
export function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, n] of Object.entries(after)) {
    if (route.includes("/v1/hosting/game/")) continue;
    if (n !== (before[route] ?? 0)) out[route] = n - (before[route] ?? 0);
  }
  return out;
}
