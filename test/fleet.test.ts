import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { GameServerFleet, type GameServerFleetArgs } from "pulumi-gameservers";
import { type OfflineResourceEvent, runOffline } from "pulumi-gameservers/testing";
import { describe, expect, it } from "vitest";
import { CS2_CONFIG, useEmulator } from "./helpers/emulator.js";
import { type ProviderHost, ROOT, TYPE, useProviderHost } from "./helpers/provider-host.js";

const { rconPassword: _r, ...CONFIGURATION } = CS2_CONFIG;
// Pulumi's own drain of outstanding RPCs (internal, as the offline runner uses it).
const { waitForRPCs } = createRequire(import.meta.url)("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
type Props = Record<string, unknown>;

/** The GameServer inputs a fleet definition declares, by resource name, as the engine receives them. */
async function declare(args: GameServerFleetArgs): Promise<Map<string, Props>> {
  const declared = new Map<string, Props>();
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        if (a.type === TYPE) declared.set(a.name, a.inputs);
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
  return declared;
}

interface Deployed {
  id: string;
  inputs: Props;
  outs: Props;
}

/**
 * What `pulumi up` does with a new declaration, one resource at a time, through the real host:
 * create the new names, delete the missing ones, and for the rest check, diff and update only
 * when the provider reports changes. Returns what it did to each.
 */
async function converge(host: ProviderHost, state: Map<string, Deployed>, declared: Map<string, Props>) {
  const actions: Record<string, "create" | "update" | "delete" | "same" | "replace"> = {};
  for (const [name, news] of declared) {
    const old = state.get(name);
    const { inputs, failures } = await host.check(name, old?.inputs ?? {}, news);
    expect(failures).toEqual([]);
    if (!old) {
      const { id, outs } = await host.create(name, inputs);
      state.set(name, { id, inputs, outs });
      actions[name] = "create";
      continue;
    }
    const diff = await host.diff(name, old.id, old.outs, inputs);
    if (diff.replaces.length > 0) actions[name] = "replace";
    else if (diff.changes === "some") {
      state.set(name, { id: old.id, inputs, outs: await host.update(name, old.id, old.outs, inputs) });
      actions[name] = "update";
    } else actions[name] = "same";
  }
  for (const [name, old] of state) {
    if (declared.has(name)) continue;
    await host.delete(name, old.id, old.outs);
    state.delete(name);
    actions[name] = "delete";
  }
  return actions;
}

describe("GameServerFleet: only the servers a change affects are touched", () => {
  const env = useEmulator();
  const fixture = useProviderHost(env);

  const definition = (servers: GameServerFleetArgs["servers"], freezeTime = 15): GameServerFleetArgs => ({
    defaults: { gameType: "cs2", region: "eu-central-1", configuration: { ...CONFIGURATION, freezeTime } },
    servers,
  });

  it("adds one, removes one, and changes a default for exactly the servers that inherit it", async () => {
    const state = new Map<string, Deployed>();
    const three = { a: {}, b: {}, c: { configuration: { freezeTime: 20 } } };
    expect(await converge(fixture.host, state, await declare(definition(three)))).toEqual({
      "cup-a": "create",
      "cup-b": "create",
      "cup-c": "create",
    });
    expect((await env.control.stats()).servers.byStatus).toEqual({ running: 3 });

    // Add d: only d is created.
    const before = await env.control.stats();
    expect(await converge(fixture.host, state, await declare(definition({ ...three, d: {} })))).toEqual({
      "cup-a": "same",
      "cup-b": "same",
      "cup-c": "same",
      "cup-d": "create",
    });
    const afterAdd = await env.control.stats();
    expect(afterAdd.requests.byRoute["POST /v1/game-servers"]).toBe(before.requests.byRoute["POST /v1/game-servers"]! + 1);
    expect(afterAdd.requests.byRoute["PATCH /v1/game-servers/:id"] ?? 0).toBe(0);

    // Remove b: only b is deleted.
    const { b: _b, ...withoutB } = { ...three, d: {} };
    expect(await converge(fixture.host, state, await declare(definition(withoutB)))).toEqual({
      "cup-a": "same",
      "cup-c": "same",
      "cup-d": "same",
      "cup-b": "delete",
    });
    expect((await env.client.gameServers.list()).total).toBe(3);

    // Change the default freezeTime: a and d inherit it and are updated in place; c overrides it.
    expect(await converge(fixture.host, state, await declare(definition(withoutB, 18)))).toEqual({
      "cup-a": "update",
      "cup-c": "same",
      "cup-d": "update",
    });
    const byName = new Map((await env.client.gameServers.list()).items.map((s) => [s.name, s]));
    const freeze = (name: string) => byName.get(state.get(name)!.outs.name as string)!.configuration.freezeTime;
    expect([freeze("cup-a"), freeze("cup-c"), freeze("cup-d")]).toEqual([18, 20, 18]);
    expect((await env.control.stats()).requests.byRoute["PATCH /v1/game-servers/:id"]).toBe(2);

    // Moving a server to another region replaces it; nothing else moves.
    const moved = await converge(
      fixture.host,
      state,
      await declare(definition({ ...withoutB, c: { region: "eu-west-1", configuration: { freezeTime: 20 } } }, 18)),
    );
    expect(moved).toEqual({ "cup-a": "same", "cup-c": "replace", "cup-d": "same" });
  });

  it("rejects an invalid definition before any API call, naming the server and the field", async () => {
    const requests = (await env.control.stats()).requests.total;
    const bad: GameServerFleetArgs = {
      defaults: { gameType: "cs2", configuration: CONFIGURATION },
      regions: ["eu-central-1", "Mars"],
      servers: {
        ok: {},
        "semi-final": { configuration: { startingMap: "de_cache" } },
        Final: {},
        wide: { configuration: { maxPlayers: 500 } },
      },
    };
    let message = "";
    try {
      await declare(bad);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('GameServerFleet "cup" is invalid:');
    expect(message).toContain('server "semi-final": region must be an AWS region code such as us-east-1');
    expect(message).toContain('server "semi-final": configuration.startingMap must be one of mapPool (de_dust2, de_mirage)');
    expect(message).toContain('server "Final": the key must be lowercase letters, digits and dashes');
    expect(message).toMatch(/server "wide": configuration\.maxPlayers /);
    expect(message).not.toContain('server "ok"');
    expect((await env.control.stats()).requests.total).toBe(requests);
  });

  it("counts servers from a template and spreads them over the regions", async () => {
    const declared = await declare({
      defaults: { gameType: "cs2", configuration: CONFIGURATION },
      count: 3,
      nameTemplate: "pug-{n}",
      regions: ["us-east-1", "us-west-2"],
      servers: { "pug-2": { configuration: { maxPlayers: 12 } } },
    });
    expect([...declared.keys()]).toEqual(["cup-pug-1", "cup-pug-2", "cup-pug-3"]);
    expect([...declared.values()].map((i) => i.region)).toEqual(["us-east-1", "us-west-2", "us-east-1"]);
    expect((declared.get("cup-pug-2")!.configuration as Props).maxPlayers).toBe(12);
    await expect(
      declare({ defaults: { gameType: "cs2", region: "us-east-1", configuration: CONFIGURATION }, count: 2, nameTemplate: "pug" }),
    ).rejects.toThrow(/nameTemplate must contain \{n\}/);
  });
});

describe("GameServerFleet waits without holding the engine's slots", () => {
  const env = useEmulator({ bootDelayMs: 400 });

  it("creates every server at once, then one roster resource waits for all and carries real addresses", async () => {
    const events: OfflineResourceEvent[] = [];
    const run = await runOffline({
      program: () => {
        const fleet = new GameServerFleet("cup", {
          defaults: { gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION },
          count: 12,
        });
        return { roster: fleet.roster, readyAt: fleet.ready.readyAt };
      },
      cwd: ROOT,
      apiUrl: env.emulator.url,
      apiKey: env.emulator.apiKey,
      pollIntervalMs: 50,
      // Two slots, as a tiny engine: twelve servers that each waited 400 s would take 2.4 s.
      parallel: 2,
      onResource: (e) => events.push(e),
    });
    try {
      const servers = run.resources.filter((r) => r.type === TYPE);
      expect(servers).toHaveLength(12);
      // Each server's create returned once the API accepted it, before the server ran...
      expect(servers.every((s) => s.outputs.status === "allocating")).toBe(true);
      // ...and the roster was known only when all of them ran.
      const roster = run.outputs.roster as Record<string, { connectUrl: string; ip: string; port: number }>;
      const live = (await env.client.gameServers.list({ pageSize: 100 })).items;
      expect(live.every((s) => s.status === "running")).toBe(true);
      for (const s of live) {
        const entry = Object.values(roster).find((e) => e.ip === s.ip && e.port === s.port);
        expect(entry?.connectUrl).toBe(s.connectUrl);
      }
      expect(typeof run.outputs.readyAt).toBe("string");
      // The waiting resource started after every server's create had returned.
      const rosterStarted = events.find((e) => e.kind === "started" && e.type.endsWith(":FleetRoster"))!.at;
      const lastCreated = Math.max(...events.filter((e) => e.kind === "created" && e.type === TYPE).map((e) => e.at));
      expect(rosterStarted).toBeGreaterThanOrEqual(lastCreated);
      // Waiting cost a few requests for the whole fleet, not a poll per server.
      const byRoute = (await env.control.stats()).requests.byRoute;
      const reads = ["GET /v1/game-servers/events", "GET /v1/game-servers", "GET /v1/game-servers/:id"].map((r) => byRoute[r] ?? 0);
      expect(reads.reduce((a, b) => a + b)).toBeLessThan(20);
      expect(byRoute["GET /v1/game-servers/:id/status"] ?? 0).toBe(0);
    } finally {
      await run.destroy();
    }
    expect((await env.client.gameServers.list()).total).toBe(0);
  });
});
