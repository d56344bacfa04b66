import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { GameServerFleet, type GameServerFleetArgs } from "pulumi-gameservers";
import { type OfflineResourceEvent, runOffline } from "pulumi-gameservers/testing";
import { describe, expect, it } from "vitest";
import { CS2_CONFIG, cs2, useEmulator } from "./helpers/emulator.js";
import { HostError, type ProviderHost, ROOT, UNKNOWN, useProviderHost } from "./helpers/provider-host.js";

const { rconPassword: _r, ...CONFIGURATION } = CS2_CONFIG;
const FLEET_TYPE = "pulumi-nodejs:dynamic/gameservers:FleetServers";
// Pulumi's secret wrappers as mocks receive them (internal, as the offline runner uses them).
// biome-ignore lint/suspicious/noExplicitAny: untyped internals
const rpc: any = createRequire(import.meta.url)("@pulumi/pulumi/runtime/rpc");
// Pulumi's own drain of outstanding RPCs (internal, as the offline runner uses it).
const { waitForRPCs } = createRequire(import.meta.url)("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
type Props = Record<string, unknown>;

/** The FleetServers inputs a fleet definition declares, as the engine receives them (secrets unwrapped). */
async function declare(args: GameServerFleetArgs): Promise<Props> {
  let declared: Props | undefined;
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        if (a.type === FLEET_TYPE) declared = unwrapSecrets(a.inputs) as Props;
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
  if (!declared) throw new Error("the fleet declared no FleetServers resource");
  return declared;
}

function unwrapSecrets(value: unknown): unknown {
  if (rpc.isRpcSecret(value)) return unwrapSecrets(rpc.unwrapRpcSecret(value));
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  return value;
}

/** The fleet's one FleetServers resource through the real host, as `pulumi up` drives it. */
class Stack {
  id: string | undefined;
  inputs: Props = {};
  outs: Props = {};
  constructor(readonly host: ProviderHost) {}

  /** Check, then create, or diff and update when the provider reports changes. */
  async up(news: Props): Promise<"create" | "update" | "same"> {
    const { inputs, failures } = await this.host.check("cup-servers", this.inputs, news);
    expect(failures).toEqual([]);
    if (this.id === undefined) {
      const made = await this.host.create("cup-servers", inputs);
      Object.assign(this, { id: made.id, inputs, outs: made.outs });
      return "create";
    }
    const diff = await this.host.diff("cup-servers", this.id, this.outs, inputs);
    // The fleet resource itself is never replaced: its servers are, one by one.
    expect(diff.replaces).toEqual([]);
    if (diff.changes !== "some") return "same";
    this.outs = await this.host.update("cup-servers", this.id, this.outs, inputs);
    this.inputs = inputs;
    return "update";
  }

  server(key: string): Props {
    return (this.outs.servers as Record<string, Props>)[key]!;
  }
}

/** The host printed `text` (a line can arrive just after the call's answer). */
async function expectPrinted(host: ProviderHost, text: string): Promise<void> {
  expect(await host.outputWith(text)).toContain(text);
}

const requests = async (env: ReturnType<typeof useEmulator>) => (await env.control.stats()).requests.byRoute;
/** Requests per route between two snapshots, the routes that moved only. */
function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, n] of Object.entries(after)) if (n !== (before[route] ?? 0)) out[route] = n - (before[route] ?? 0);
  return out;
}
const POST = "POST /v1/game-servers";
const PATCH = "PATCH /v1/game-servers/:id";
const DELETE = "DELETE /v1/game-servers/:id";

describe("GameServerFleet: only the servers a change affects are touched", () => {
  const env = useEmulator();
  const fixture = useProviderHost(env);

  const definition = (servers: GameServerFleetArgs["servers"], freezeTime = 15): GameServerFleetArgs => ({
    defaults: { gameType: "cs2", region: "eu-central-1", configuration: { ...CONFIGURATION, freezeTime } },
    servers,
  });

  it("adds one, removes one, changes a default for exactly the servers that inherit it, and says which in the preview", async () => {
    const stack = new Stack(fixture.host);
    const three = { a: {}, b: {}, c: { configuration: { freezeTime: 20 } } };
    let before = await requests(env);
    expect(await stack.up(await declare(definition(three)))).toBe("create");
    expect(delta(before, await requests(env))).toEqual({ [POST]: 3 });
    expect(Object.keys(stack.outs.servers as Props)).toEqual(["a", "b", "c"]);
    const ids = (keys: string[]) => keys.map((k) => stack.server(k).serverId);
    const [idA, idC] = ids(["a", "c"]);

    // Nothing changed: no request at all.
    before = await requests(env);
    expect(await stack.up(await declare(definition(three)))).toBe("same");
    expect(delta(before, await requests(env))).toEqual({});

    // Add d: only d is created, and the preview's line says so.
    fixture.host.output = "";
    before = await requests(env);
    expect(await stack.up(await declare(definition({ ...three, d: {} })))).toBe("update");
    expect(delta(before, await requests(env))).toEqual({ [POST]: 1 });
    await expectPrinted(fixture.host, 'GameServerFleet "cup": creates d; every other server is left alone');
    expect(ids(["a", "c"])).toEqual([idA, idC]);

    // Remove b: only b is deleted.
    const { b: _b, ...withoutB } = { ...three, d: {} };
    before = await requests(env);
    expect(await stack.up(await declare(definition(withoutB)))).toBe("update");
    expect(delta(before, await requests(env))).toEqual({ [DELETE]: 1 });
    expect(Object.keys(stack.outs.servers as Props)).toEqual(["a", "c", "d"]);
    expect((await env.client.gameServers.list()).total).toBe(3);

    // Change the default freezeTime: a and d inherit it and are updated in place; c overrides it.
    fixture.host.output = "";
    before = await requests(env);
    expect(await stack.up(await declare(definition(withoutB, 18)))).toBe("update");
    expect(delta(before, await requests(env))).toEqual({ [PATCH]: 2 });
    await expectPrinted(fixture.host, "updates a (configuration), d (configuration)");
    const byId = new Map((await env.client.gameServers.list()).items.map((s) => [s.id, s]));
    expect(ids(["a", "c", "d"]).map((id) => byId.get(id as string)!.configuration.freezeTime)).toEqual([18, 20, 18]);

    // Moving a server to another region replaces it (a new server, the old one deleted); nothing else moves.
    fixture.host.output = "";
    before = await requests(env);
    const moved = definition({ ...withoutB, c: { region: "eu-west-1", configuration: { freezeTime: 20 } } }, 18);
    expect(await stack.up(await declare(moved))).toBe("update");
    expect(delta(before, await requests(env))).toEqual({ [POST]: 1, [DELETE]: 1 });
    await expectPrinted(fixture.host, "replaces c (region)");
    expect(stack.server("c").region).toBe("eu-west-1");
    expect(stack.server("c").serverId).not.toBe(idC);
    expect(stack.server("a").serverId).toBe(idA);
    const live = (await env.client.gameServers.list()).items.filter((s) => s.deletedAt === null).map((s) => s.id);
    expect(live.sort()).toEqual((ids(["a", "c", "d"]) as string[]).sort());

    // Destroy: every server is deleted.
    await fixture.host.delete("cup-servers", stack.id!, stack.outs);
    expect((await env.client.gameServers.list()).items.filter((s) => s.deletedAt === null)).toEqual([]);
  });

  it("keeps every server that exists when some fail, and the next up finishes the rest", async () => {
    // A live server already carries the fixed name the fleet declares for "b".
    const squatter = await env.client.gameServers.create(cs2("cup-final", "eu-central-1"));
    const stack = new Stack(fixture.host);
    const news = await declare(definition({ a: {}, b: { name: "cup-final" }, c: {} }));
    const { inputs } = await fixture.host.check("cup-servers", {}, news);
    const failure = await fixture.host.create("cup-servers", inputs).then(
      () => undefined,
      (e: unknown) => e as HostError,
    );
    expect(failure).toBeInstanceOf(HostError);
    expect(failure!.message).toContain("1 server failed (the others are created; every server that exists stays in the stack");
    expect(failure!.message).toContain('b: GameServer "cup-final": the name "cup-final" is already carried by');
    // The engine keeps the resource with what the error carries: a and c, both real.
    const kept = failure!.initFailure!;
    expect(Object.keys(kept.properties.servers as Props)).toEqual(["a", "c"]);
    Object.assign(stack, { id: kept.id, inputs, outs: kept.properties });

    // The name is freed; the next up creates only b.
    await env.client.gameServers.delete(squatter.id);
    const before = await requests(env);
    expect(await stack.up(news)).toBe("update");
    expect(delta(before, await requests(env))).toMatchObject({ [POST]: 1 });
    expect(Object.keys(stack.outs.servers as Props)).toEqual(["a", "b", "c"]);
    await fixture.host.delete("cup-servers", stack.id!, stack.outs);
  });

  it("frees a fixed name a removed server carried before a new server takes it", async () => {
    const stack = new Stack(fixture.host);
    expect(await stack.up(await declare(definition({ old: { name: "cup-moved" }, keep: {} })))).toBe("create");
    const before = await requests(env);
    // A slow delete: the name is still taken unless the new server waits for it.
    await env.control.fault({ method: "DELETE", route: "/v1/game-servers/:id", times: 1, delayMs: 200 });
    expect(await stack.up(await declare(definition({ new: { name: "cup-moved" }, keep: {} })))).toBe("update");
    expect(delta(before, await requests(env))).toMatchObject({ [POST]: 1, [DELETE]: 1 });
    expect(Object.keys(stack.outs.servers as Props).sort()).toEqual(["keep", "new"]);
    expect(stack.server("new").name).toBe("cup-moved");
    await fixture.host.delete("cup-servers", stack.id!, stack.outs);
  });

  it("a preview that does not know the passwords yet shows them as changing in place, not as a replacement", async () => {
    const stack = new Stack(fixture.host);
    const base = definition({ a: {} });
    const withPassword = { ...base, defaults: { ...base.defaults, serverPassword: "join-the-cup" } };
    expect(await stack.up(await declare(withPassword))).toBe("create");
    const { inputs } = await fixture.host.check("cup-servers", stack.inputs, { ...(await declare(withPassword)), passwords: UNKNOWN });
    fixture.host.output = "";
    expect((await fixture.host.diff("cup-servers", stack.id!, stack.outs, inputs)).changes).toBe("some");
    await expectPrinted(fixture.host, "updates a (rconPassword, serverPassword)");
    expect(fixture.host.output).not.toContain("replaces");
    await fixture.host.delete("cup-servers", stack.id!, stack.outs);
  });

  it("a preview with a whole server or the shared settings unknown passes them through, without a failure or a request", async () => {
    const declared = await declare(definition({ a: {}, b: {}, c: {} }));
    const requestsBefore = (await env.control.stats()).requests.total;
    const withServer = { ...declared, servers: { ...(declared.servers as Props), b: UNKNOWN } };
    const checked = await fixture.host.check("cup-servers", {}, withServer);
    expect(checked.failures).toEqual([]);
    expect((checked.inputs.servers as Props).b).toBe(UNKNOWN);
    const withCommon = { ...declared, common: UNKNOWN };
    const checkedCommon = await fixture.host.check("cup-servers", {}, withCommon);
    expect(checkedCommon.failures).toEqual([]);
    expect(checkedCommon.inputs.common).toBe(UNKNOWN);
    const outs = { fleet: "cup", common: {}, servers: {}, passwords: {} };
    for (const news of [checked.inputs, checkedCommon.inputs])
      expect((await fixture.host.diff("cup-servers", "fleet-1", outs, news)).changes).toBe("some");
    // A server in the state whose new settings are unknown may change in place.
    const b = { id: "srv_b", serverId: "srv_b", name: "cup-b-1234567", gameType: "cs2", region: "eu-central-1", configuration: {} };
    fixture.host.output = "";
    const inState = { ...outs, servers: { b } };
    expect((await fixture.host.diff("cup-servers", "fleet-1", inState, checked.inputs)).changes).toBe("some");
    await expectPrinted(fixture.host, "updates b (not known yet)");
    expect((await env.control.stats()).requests.total).toBe(requestsBefore);
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
    const servers = declared.servers as Record<string, Props>;
    expect(Object.keys(servers)).toEqual(["pug-1", "pug-2", "pug-3"]);
    expect(Object.values(servers).map((i) => i.region)).toEqual(["us-east-1", "us-west-2", "us-east-1"]);
    expect(Object.values(servers).map((i) => i.autoNamePrefix)).toEqual(["cup-pug-1", "cup-pug-2", "cup-pug-3"]);
    expect((servers["pug-2"]!.configuration as Props).maxPlayers).toBe(12);
    await expect(
      declare({ defaults: { gameType: "cs2", region: "us-east-1", configuration: CONFIGURATION }, count: 2, nameTemplate: "pug" }),
    ).rejects.toThrow(/nameTemplate must contain \{n\}/);
  });
});

describe("GameServerFleet waits without holding the engine's slots", () => {
  const env = useEmulator({ bootDelayMs: 400 });

  it("creates every server in one operation, then one roster resource waits for all and carries real addresses", async () => {
    const events: OfflineResourceEvent[] = [];
    const lines: string[] = [];
    const known: Record<string, number> = {};
    const run = await runOffline({
      program: () => {
        const fleet = new GameServerFleet("cup", {
          defaults: { gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION },
          count: 12,
        });
        for (const [key, entry] of Object.entries(fleet.roster)) {
          entry.connectUrl.apply((url) => {
            known[key] ??= Date.now();
            return url;
          });
        }
        return { roster: fleet.roster, readyAt: fleet.ready.readyAt };
      },
      cwd: ROOT,
      apiUrl: env.emulator.url,
      apiKey: env.emulator.apiKey,
      pollIntervalMs: 50,
      // Two slots, as a tiny engine: twelve servers that each waited 400 ms would take 2.4 s.
      parallel: 2,
      onResource: (e) => events.push(e),
      log: (line) => lines.push(line),
    });
    try {
      // One resource holds the twelve servers...
      const fleet = run.resources.filter((r) => r.type === FLEET_TYPE);
      expect(fleet).toHaveLength(1);
      const servers = Object.values(fleet[0]!.outputs.servers as Record<string, Props>);
      expect(servers).toHaveLength(12);
      // ...and its create returned once the API accepted each one, before any ran...
      expect(servers.every((s) => s.status === "allocating")).toBe(true);
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
      const created = events.find((e) => e.kind === "created" && e.type === FLEET_TYPE)!.at;
      expect(rosterStarted).toBeGreaterThanOrEqual(created);
      // The program watched the servers, and the roster started once it had seen every one run...
      expect(rosterStarted).toBeGreaterThanOrEqual(Math.max(...Object.values(known)));
      expect(Object.keys(known)).toHaveLength(12);
      // ...so waiting cost a few requests for the whole fleet, not a poll per server.
      const byRoute = (await env.control.stats()).requests.byRoute;
      const reads = ["GET /v1/game-servers/events", "GET /v1/game-servers", "GET /v1/game-servers/:id"].map((r) => byRoute[r] ?? 0);
      expect(reads.reduce((a, b) => a + b)).toBeLessThan(36);
      expect(byRoute["GET /v1/game-servers/:id/status"] ?? 0).toBe(0);
      // The run says what the fleet did, not one line per server.
      expect(lines.filter((l) => l.includes('GameServer "'))).toEqual([]);
      expect(lines).toContainEqual(expect.stringContaining('GameServerFleet "cup": 12 servers created'));
    } finally {
      await run.destroy();
    }
    expect((await env.client.gameServers.list()).total).toBe(0);
  });

  /** The fleet's one address as the program gets it, and how many requests the program sent for it. */
  async function addressWithMocks(preview: boolean, createdAt: string): Promise<{ url: unknown; requests: number }> {
    const server = await env.client.gameServers.create(cs2("cup-a"));
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          const state: Props = { ...a.inputs };
          if (a.type === FLEET_TYPE)
            state.servers = { a: { id: server.id, serverId: server.id, name: "cup-a", status: "pending", createdAt } };
          if (a.type.endsWith(":FleetRoster"))
            state.servers = { a: { serverId: server.id, connectUrl: "steam://connect/as-the-roster-has-it" } };
          return { id: `${a.name}_id`, state };
        },
        call: (a) => a.inputs,
      },
      "fleet",
      "test",
      preview,
    );
    const own = pulumi.runtime.allConfig();
    pulumi.runtime.setAllConfig({ "gameservers:apiKey": env.emulator.apiKey, "gameservers:apiUrl": env.emulator.url }, [
      "gameservers:apiKey",
    ]);
    try {
      const before = (await env.control.stats()).requests.total;
      const fleet = new GameServerFleet("cup", {
        defaults: { gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION },
        servers: { a: {} },
      });
      const url = await new Promise((resolve) => fleet.roster.a!.connectUrl.apply(resolve));
      await waitForRPCs();
      // A watch would have polled by now.
      await new Promise((r) => setTimeout(r, 500));
      return { url, requests: (await env.control.stats()).requests.total - before };
    } finally {
      pulumi.runtime.setAllConfig(own, []);
    }
  }

  it("watches nothing in preview: each address is the roster's", async () => {
    expect(await addressWithMocks(true, new Date().toISOString())).toEqual({ url: "steam://connect/as-the-roster-has-it", requests: 0 });
  });

  it("watches no server an earlier run created: its address is the roster's, as preview showed", async () => {
    const anHourAgo = new Date(Date.now() - 3_600_000).toISOString();
    expect(await addressWithMocks(false, anHourAgo)).toEqual({ url: "steam://connect/as-the-roster-has-it", requests: 0 });
  });

  it("knows each server's address when that server runs: a queued server holds back only its own", async () => {
    await env.control.config({ capacity: { "eu-west-1": 0 }, queueIntervalMs: 100, maxAllocationAttempts: 100 });
    const known: Record<string, number> = {};
    const start = Date.now();
    // Capacity for the queued server arrives once the other one's address is known.
    let arrives: Promise<unknown> | undefined;
    const run = await runOffline({
      program: () => {
        const fleet = new GameServerFleet("cup", {
          defaults: { gameType: "cs2", configuration: CONFIGURATION },
          servers: { first: { region: "eu-central-1" }, queued: { region: "eu-west-1" } },
        });
        for (const key of ["first", "queued"]) {
          fleet.roster[key]!.connectUrl.apply((url) => {
            known[key] ??= Date.now();
            if (key === "first") arrives ??= env.control.config({ capacity: { "eu-west-1": 5 } });
            return url;
          });
        }
        return { roster: fleet.roster };
      },
      cwd: ROOT,
      apiUrl: env.emulator.url,
      apiKey: env.emulator.apiKey,
      pollIntervalMs: 50,
    });
    await arrives;
    try {
      const ranAt = new Map<string, number>();
      for (const e of (await env.client.gameServers.events({ since: new Date(start - 1) })).events) {
        if (e.eventType === "provisioning_completed") ranAt.set(e.serverId, Date.parse(e.createdAt));
      }
      const live = (await env.client.gameServers.list()).items;
      const byKey = (key: string) => live.find((s) => s.name.startsWith(`cup-${key}-`))!;
      // The first server's address was known before the queued one ran, not when the fleet was done...
      expect(known.first).toBeLessThan(ranAt.get(byKey("queued").id)!);
      expect(known.queued).toBeGreaterThanOrEqual(ranAt.get(byKey("queued").id)!);
      // ...and both are the API's real addresses.
      const roster = run.outputs.roster as Record<string, { connectUrl: string }>;
      expect(roster.first!.connectUrl).toBe(byKey("first").connectUrl);
      expect(roster.queued!.connectUrl).toBe(byKey("queued").connectUrl);
    } finally {
      await run.destroy();
    }
  });
});
