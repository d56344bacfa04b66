import * as pulumi from "@pulumi/pulumi";
import { GameServerFleet, type GameServerFleetArgs } from "pulumi-gameservers";
import { type OfflineResourceEvent, runOffline } from "pulumi-gameservers/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { partOf } from "../../../provider/fleet/parts.js";
import { FLEET_SERVERS_TYPE } from "../../../sdk/internal/index.js";
import { CS2_CONFIG, cs2, useEmulator } from "../../helpers/emulator.js";
import { declareParts, delta, PartsStack, requests, waitForRPCs } from "../../helpers/fleet-parts.js";
import { HostError, type ProviderHost, ROOT, serializedProvider, UNKNOWN, useProviderHost } from "../../helpers/provider-host.js";

const { rconPassword: _r, ...CONFIGURATION } = CS2_CONFIG;
type Props = Record<string, unknown>;

/** The parts of `server-1`, `server-2`, `a` and `final`, as every fleet's state has them. */
const PINNED_PARTS = [10, 7, 11, 13];

/** The name of the part that holds the server of this key (an auto-named one unless `fixedName`). */
const partName = (key: string, fixedName = false) => `cup-servers-${partOf(key, fixedName) + 1}`;

/** The one part a definition declares (its servers all share it). */
function onlyPart(declared: Record<string, Props>): [string, Props] {
  const parts = Object.entries(declared);
  expect(parts).toHaveLength(1);
  return parts[0]!;
}

/** The host printed `text` (a line can arrive just after the call's answer). */
async function expectPrinted(host: ProviderHost, text: string): Promise<void> {
  expect(await host.outputWith(text)).toContain(text);
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
    // a and v share a part; b and c each have their own (see partOf).
    expect(partName("v")).toBe(partName("a"));
    expect(new Set([partName("a"), partName("b"), partName("c")]).size).toBe(3);
    const stack = new PartsStack(fixture.host);
    const three = { a: {}, b: {}, c: { configuration: { freezeTime: 20 } } };
    let before = await requests(env);
    expect(await stack.up(await declareParts(definition(three)))).toEqual({
      [partName("a")]: "create",
      [partName("b")]: "create",
      [partName("c")]: "create",
    });
    expect(delta(before, await requests(env))).toEqual({ [POST]: 3 });
    expect(stack.keys()).toEqual(["a", "b", "c"]);
    const ids = (keys: string[]) => keys.map((k) => stack.server(k).serverId);
    const [idA, idC] = ids(["a", "c"]);

    // Nothing changed: no request at all.
    before = await requests(env);
    expect(await stack.up(await declareParts(definition(three)))).toEqual({});
    expect(delta(before, await requests(env))).toEqual({});

    // Add v: only v is created, by its part, and the preview's line says so.
    fixture.host.output = "";
    before = await requests(env);
    expect(await stack.up(await declareParts(definition({ ...three, v: {} })))).toEqual({ [partName("v")]: "update" });
    expect(delta(before, await requests(env))).toEqual({ [POST]: 1 });
    await expectPrinted(fixture.host, 'GameServerFleet "cup": creates v; every other server is left alone');
    // The part's outcome counts what it touched: v, not a, which shares its part.
    await expectPrinted(fixture.host, 'GameServerFleet "cup": 1 server updated (v); the roster waits for them to run');
    expect(ids(["a", "c"])).toEqual([idA, idC]);

    // Remove b: only b is deleted (its part with it: it held no other).
    const { b: _b, ...withoutB } = { ...three, v: {} };
    before = await requests(env);
    expect(await stack.up(await declareParts(definition(withoutB)))).toEqual({ [partName("b")]: "delete" });
    expect(delta(before, await requests(env))).toEqual({ [DELETE]: 1 });
    expect(stack.keys()).toEqual(["a", "c", "v"]);
    expect((await env.client.gameServers.list()).total).toBe(3);

    // Change the default freezeTime: a and v inherit it and are updated in place; c overrides it.
    fixture.host.output = "";
    before = await requests(env);
    expect(await stack.up(await declareParts(definition(withoutB, 18)))).toEqual({ [partName("a")]: "update" });
    expect(delta(before, await requests(env))).toEqual({ [PATCH]: 2 });
    await expectPrinted(fixture.host, "updates a (configuration), v (configuration)");
    const byId = new Map((await env.client.gameServers.list()).items.map((s) => [s.id, s]));
    expect(ids(["a", "c", "v"]).map((id) => byId.get(id as string)!.configuration.freezeTime)).toEqual([18, 20, 18]);

    // Moving a server to another region replaces it (a new server, the old one deleted); nothing else moves.
    fixture.host.output = "";
    before = await requests(env);
    const moved = definition({ ...withoutB, c: { region: "eu-west-1", configuration: { freezeTime: 20 } } }, 18);
    expect(await stack.up(await declareParts(moved))).toEqual({ [partName("c")]: "update" });
    expect(delta(before, await requests(env))).toEqual({ [POST]: 1, [DELETE]: 1 });
    await expectPrinted(fixture.host, "replaces c (region)");
    expect(stack.server("c").region).toBe("eu-west-1");
    expect(stack.server("c").serverId).not.toBe(idC);
    expect(stack.server("a").serverId).toBe(idA);
    const live = (await env.client.gameServers.list()).items.filter((s) => s.deletedAt === null).map((s) => s.id);
    expect(live.sort()).toEqual((ids(["a", "c", "v"]) as string[]).sort());

    // Destroy: every server is deleted.
    await stack.destroy();
    expect((await env.client.gameServers.list()).items.filter((s) => s.deletedAt === null)).toEqual([]);
  });

  it("keeps a server in its part for good: a part holds the same keys whatever else the fleet declares", async () => {
    // Written into every fleet's state: a change to the hash would replace servers. Pinned.
    expect(["server-1", "server-2", "a", "final"].map((k) => partOf(k, false))).toEqual(PINNED_PARTS);
    expect(partOf("final", true)).toBe(0);
    const twenty = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`s-${i}`, {}]));
    const parts = await declareParts(definition(twenty));
    // Spread over several parts, each server in the part its key names.
    expect(Object.keys(parts).length).toBeGreaterThan(5);
    for (const [name, inputs] of Object.entries(parts))
      for (const key of Object.keys(inputs.servers as Props)) expect(partName(key)).toBe(name);
    // With ten more, and a fixed-name one: every part of the twenty is declared as it was, or grows.
    const more = await declareParts(
      definition({ ...twenty, ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`t-${i}`, {}])), f: { name: "cup-f" } }),
    );
    for (const [name, inputs] of Object.entries(parts)) {
      const now = more[name]!.servers as Props;
      for (const key of Object.keys(inputs.servers as Props)) expect(now[key]).toBeDefined();
    }
    // Servers with a fixed name are all in the first part.
    expect(Object.keys(more[partName("f", true)]!.servers as Props)).toEqual(["f"]);
    expect(partName("f", true)).toBe("cup-servers-1");
  });

  it("keeps every server that exists when some fail, and the next up finishes the rest", async () => {
    // A live server already carries the fixed name the fleet declares for "b".
    const squatter = await env.client.gameServers.create(cs2("cup-final", "eu-central-1"));
    const stack = new PartsStack(fixture.host);
    // Servers with fixed names share a part: one of its servers fails.
    const declared = await declareParts(definition({ a: { name: "cup-a" }, b: { name: "cup-final" }, c: { name: "cup-c" } }));
    const [part, news] = onlyPart(declared);
    const { inputs } = await fixture.host.check(part, {}, news);
    const failure = await fixture.host.create(part, inputs).then(
      () => undefined,
      (e: unknown) => e as HostError,
    );
    expect(failure).toBeInstanceOf(HostError);
    expect(failure!.message).toContain("1 server failed (the others are created; every server that exists stays in the stack");
    expect(failure!.message).toContain('b: GameServer "cup-final": the name "cup-final" is already carried by');
    // The engine keeps the resource with what the error carries: a and c, both real.
    const kept = failure!.initFailure!;
    expect(Object.keys(kept.properties.servers as Props)).toEqual(["a", "c"]);
    stack.parts.set(part, { id: kept.id, inputs, outs: kept.properties });

    // The name is freed; the next up creates only b.
    await env.client.gameServers.delete(squatter.id);
    const before = await requests(env);
    expect(await stack.up(declared)).toEqual({ [part]: "update" });
    expect(delta(before, await requests(env))).toMatchObject({ [POST]: 1 });
    expect(stack.keys()).toEqual(["a", "b", "c"]);
    await stack.destroy();
  });

  it("frees a fixed name a removed server carried before a new server takes it", async () => {
    const stack = new PartsStack(fixture.host);
    await stack.up(await declareParts(definition({ old: { name: "cup-moved" }, keep: {} })));
    const before = await requests(env);
    // A slow delete: the name is still taken unless the new server waits for it.
    await env.control.fault({ method: "DELETE", route: "/v1/game-servers/:id", times: 1, delayMs: 200 });
    // Both fixed names are in one part, whose update deletes the old server first.
    expect(await stack.up(await declareParts(definition({ new: { name: "cup-moved" }, keep: {} })))).toEqual({
      [partName("new", true)]: "update",
    });
    expect(delta(before, await requests(env))).toMatchObject({ [POST]: 1, [DELETE]: 1 });
    expect(stack.keys()).toEqual(["keep", "new"]);
    expect(stack.server("new").name).toBe("cup-moved");
    await stack.destroy();
  });

  it("a preview that does not know the passwords yet shows them as changing in place, not as a replacement", async () => {
    const stack = new PartsStack(fixture.host);
    const base = definition({ a: {} });
    const withPassword = { ...base, defaults: { ...base.defaults, serverPassword: "join-the-cup" } };
    const [name, news] = onlyPart(await declareParts(withPassword));
    await stack.up({ [name]: news });
    const part = stack.parts.get(name)!;
    const { inputs } = await fixture.host.check(name, part.inputs, { ...news, passwords: UNKNOWN });
    fixture.host.output = "";
    expect((await fixture.host.diff(name, part.id, part.outs, inputs)).changes).toBe("some");
    await expectPrinted(fixture.host, "updates a (rconPassword, serverPassword)");
    expect(fixture.host.output).not.toContain("replaces");
    await stack.destroy();
  });

  it("a preview with a whole server or the shared settings unknown passes them through, without a failure or a request", async () => {
    // a and v share a part.
    const [part, declared] = onlyPart(await declareParts(definition({ a: {}, v: {} })));
    const requestsBefore = (await env.control.stats()).requests.total;
    const withServer = { ...declared, servers: { ...(declared.servers as Props), v: UNKNOWN } };
    const checked = await fixture.host.check(part, {}, withServer);
    expect(checked.failures).toEqual([]);
    expect((checked.inputs.servers as Props).v).toBe(UNKNOWN);
    const withCommon = { ...declared, common: UNKNOWN };
    const checkedCommon = await fixture.host.check(part, {}, withCommon);
    expect(checkedCommon.failures).toEqual([]);
    expect(checkedCommon.inputs.common).toBe(UNKNOWN);
    const outs = { fleet: "cup", common: {}, servers: {}, passwords: {} };
    for (const news of [checked.inputs, checkedCommon.inputs])
      expect((await fixture.host.diff(part, "fleet-1", outs, news)).changes).toBe("some");
    // A server in the state whose new settings are unknown may change in place.
    const v = { id: "srv_v", serverId: "srv_v", name: "cup-v-1234567", gameType: "cs2", region: "eu-central-1", configuration: {} };
    fixture.host.output = "";
    const inState = { ...outs, servers: { v } };
    expect((await fixture.host.diff(part, "fleet-1", inState, checked.inputs)).changes).toBe("some");
    await expectPrinted(fixture.host, "updates v (not known yet)");
    expect((await env.control.stats()).requests.total).toBe(requestsBefore);
  });

  it("sends the parts' creates first come first served: under a rate limit, the part that started first is not held behind the next", async () => {
    // Two parts of 40 servers (more than the requests in flight at once), at 50 requests/s.
    const [, declared] = onlyPart(await declareParts(definition({ a: {} })));
    const part = (prefix: string) => ({
      __provider: declared.__provider,
      fleet: "cup",
      common: { gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION },
      servers: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`${prefix}-${i}`, { autoNamePrefix: `cup-${prefix}-${i}` }])),
      passwords: {},
    });
    const [a, b] = [await fixture.host.check("cup-servers-2", {}, part("a")), await fixture.host.check("cup-servers-3", {}, part("b"))];
    await env.control.config({ rateLimitPerSecond: 50 });
    try {
      const first = fixture.host.create("cup-servers-2", a.inputs);
      const second = fixture.host.create("cup-servers-3", b.inputs);
      const made = await Promise.all([first, second]);
      await env.control.config({ rateLimitPerSecond: null });
      // The API's order of creation: the first part's servers before the second part's, but for
      // a few sent alongside them (and a create refused with a 429, which goes again at the end).
      const names = (await env.client.gameServers.list({ pageSize: 100 })).items.map((s) => s.name);
      expect(names).toHaveLength(80);
      const first35 = names.map((n, i) => (n.startsWith("cup-a-") ? i : -1)).filter((i) => i >= 0)[34]!;
      expect(names.slice(0, first35).filter((n) => n.startsWith("cup-b-")).length).toBeLessThanOrEqual(5);
      await fixture.host.delete("cup-servers-2", made[0].id, made[0].outs);
      await fixture.host.delete("cup-servers-3", made[1].id, made[1].outs);
    } finally {
      await env.control.config({ rateLimitPerSecond: null });
    }
  });

  it("rejects an invalid definition before any API call, naming the server and the field", async () => {
    const requests = (await env.control.stats()).requests.total;
    const bad: GameServerFleetArgs = {
      defaults: { gameType: "cs2", configuration: CONFIGURATION },
      regions: ["eu-central-1", "Mars", "eu-wset-1"],
      servers: {
        ok: {},
        "semi-final": { configuration: { startingMap: "de_cache" } },
        Final: {},
        wide: { configuration: { maxPlayers: 500 } },
      },
    };
    let message = "";
    try {
      await declareParts(bad);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('GameServerFleet "cup" is invalid:');
    // The list's mistake once, not once per server dealt it.
    expect(message).toContain('regions: "Mars" must be an AWS region code such as us-east-1');
    expect(message).toContain('regions: "eu-wset-1" is not a known region (did you mean "eu-west-1"?)');
    expect(message).not.toContain('server "semi-final": region');
    expect(message).toContain('server "semi-final": configuration.startingMap must be one of mapPool (de_dust2, de_mirage)');
    expect(message).toContain('server "Final": the key must be lowercase letters, digits and dashes');
    expect(message).toMatch(/server "wide": configuration\.maxPlayers /);
    expect(message).not.toContain('server "ok"');
    expect((await env.control.stats()).requests.total).toBe(requests);
  });

  it("counts servers from a template and spreads them over the regions", async () => {
    const declared = await declareParts({
      defaults: { gameType: "cs2", configuration: CONFIGURATION },
      count: 3,
      nameTemplate: "pug-{n}",
      regions: ["us-east-1", "us-west-2"],
      servers: { "pug-2": { configuration: { maxPlayers: 12 } } },
    });
    // Each in a part of its own, whole (a part of one server shares nothing).
    expect(Object.keys(declared).sort()).toEqual(["pug-1", "pug-2", "pug-3"].map((k) => partName(k)).sort());
    const byKey = Object.assign({}, ...Object.values(declared).map((d) => d.servers)) as Record<string, Props>;
    const servers = Object.fromEntries(["pug-1", "pug-2", "pug-3"].map((k) => [k, byKey[k]!]));
    expect(Object.values(servers).map((i) => i.region)).toEqual(["us-east-1", "us-west-2", "us-east-1"]);
    expect(Object.values(servers).map((i) => i.autoNamePrefix)).toEqual(["cup-pug-1", "cup-pug-2", "cup-pug-3"]);
    expect((servers["pug-2"]!.configuration as Props).maxPlayers).toBe(12);
    await expect(
      declareParts({ defaults: { gameType: "cs2", region: "us-east-1", configuration: CONFIGURATION }, count: 2, nameTemplate: "pug" }),
    ).rejects.toThrow(/nameTemplate must contain \{n\}/);
  });
});

describe("GameServerFleet: a server the platform stopped (autoStop)", () => {
  const env = useEmulator();
  const fixture = useProviderHost(env);
  const definition = (final: GameServerFleetArgs["servers"] = {}): GameServerFleetArgs => ({
    defaults: { gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION, autoStop: true, autostopMinutes: 30 },
    servers: { a: {}, final: {}, ...final },
  });

  let rosterProvider: string;
  beforeAll(async () => {
    rosterProvider = await serializedProvider(ROOT, "pulumi-gameservers/roster-provider");
  });

  /** The roster's inputs for these keys of the stack, as the fleet's program sends them. */
  function rosterInputs(stack: PartsStack, keys: string[]): Props {
    const servers = Object.fromEntries(keys.map((k) => [k, { serverId: stack.server(k).serverId }]));
    return { fleet: "cup", servers, readyTimeoutSeconds: 600, __provider: rosterProvider };
  }

  /** The fleet deployed with its roster, then its `final` server stopped by the platform. */
  async function withFinalStopped() {
    const stack = new PartsStack(fixture.host);
    await stack.up(await declareParts(definition()));
    const roster = await fixture.host.create("cup-roster", rosterInputs(stack, ["a", "final"]));
    const finalId = stack.server("final").serverId as string;
    await env.control.stop(finalId);
    fixture.host.output = "";
    return { stack, finalId, roster };
  }

  /** The line the host printed for the stopped server of this key, and the fleet's line that says what to do. */
  async function expectStoppedLines(key: string, id: string, also = ""): Promise<string> {
    const output = await fixture.host.outputWith("The API has no start call");
    const lines = output.split("\n");
    const own = lines.filter((l) => l.includes(`GameServerFleet "cup": ${key} (${id}`) && l.includes("is stopped"));
    expect(own).toHaveLength(1);
    expect(own[0]).toContain("autoStop after 30 idle minutes");
    expect(own[0]).toContain(also);
    const wayOut = lines.filter((l) => l.includes("The API has no start call"));
    expect(wayOut).toHaveLength(1);
    expect(wayOut[0]).toContain(`GameServerFleet "cup": 1 server stopped (${key})`);
    expect(wayOut[0]).toContain("`autoStop: false`");
    return own[0]!;
  }

  it("refresh names the stopped server's key, and the roster's read marks it stopped with no address", async () => {
    const { stack, finalId, roster } = await withFinalStopped();
    await stack.refresh();
    expect(stack.server("final")).toMatchObject({ status: "stopped", connectUrl: null, ip: null });
    expect(stack.server("a")).toMatchObject({ status: "running" });
    await expectStoppedLines("final", finalId);
    const read = await fixture.host.read("cup-roster", roster.id, roster.outs);
    const entries = read.props.servers as Record<string, Props>;
    expect(entries.final).toMatchObject({ serverId: finalId, status: "stopped", connectUrl: null, ip: null, port: null });
    expect(entries.a).toMatchObject({ status: "running", connectUrl: expect.stringMatching(/^steam:/) });
  });

  it("an unchanged up names it from the state, with no request", async () => {
    const { stack, finalId } = await withFinalStopped();
    await stack.refresh();
    fixture.host.output = "";
    const before = await requests(env);
    expect(await stack.up(await declareParts(definition()))).toEqual({});
    expect(delta(before, await requests(env))).toEqual({});
    await expectStoppedLines("final", finalId, "as the stack last read it");
  });

  it("an up that updates it succeeds and names it", async () => {
    const { stack, finalId } = await withFinalStopped();
    // The state still says running: the update is what learns it stopped.
    expect(await stack.up(await declareParts(definition({ final: { configuration: { freezeTime: 20 } } })))).toEqual({
      [partName("final")]: "update",
    });
    expect(stack.server("final")).toMatchObject({ status: "stopped", connectUrl: null });
    await expectStoppedLines("final", finalId);
  });

  it("the roster's wait, after a server is added, lists it as stopped without an address, names its key, and does not fail the up", async () => {
    const { stack, finalId, roster } = await withFinalStopped();
    await stack.up(await declareParts(definition({ b: {} })));
    fixture.host.output = "";
    const outs = await fixture.host.update("cup-roster", roster.id, roster.outs, rosterInputs(stack, ["a", "final", "b"]));
    const entries = outs.servers as Record<string, Props>;
    expect(entries.final).toMatchObject({ serverId: finalId, status: "stopped", connectUrl: null, ip: null, port: null });
    expect(entries.b).toMatchObject({ status: "running", connectUrl: expect.stringMatching(/^steam:/) });
    // Not every server runs: readyAt says so.
    expect(outs.readyAt).toBeNull();
    await expectStoppedLines("final", finalId);
    expect(fixture.host.output).toContain('GameServerFleet "cup": 2/3 running; 1 stopped (final)');
  });

  it("replaceIfStopped replaces a stopped server at the next up, and no other", async () => {
    const { stack, finalId } = await withFinalStopped();
    const idA = stack.server("a").serverId;
    await stack.refresh();
    fixture.host.output = "";
    const before = await requests(env);
    expect(await stack.up(await declareParts(definition({ final: { replaceIfStopped: true } })))).toEqual({
      [partName("final")]: "update",
    });
    expect(delta(before, await requests(env))).toEqual({ [POST]: 1, [DELETE]: 1 });
    await expectPrinted(fixture.host, 'GameServerFleet "cup": replaces final (status); every other server is left alone');
    expect(stack.server("final")).toMatchObject({ status: "running", connectUrl: expect.stringMatching(/^steam:/) });
    expect(stack.server("final").serverId).not.toBe(finalId);
    expect(stack.server("a").serverId).toBe(idA);
    expect((await env.client.gameServers.get(finalId)).deletedAt).not.toBeNull();
    // Running again: the setting replaces nothing more.
    expect(await stack.up(await declareParts(definition({ final: { replaceIfStopped: true } })))).toEqual({});
  });

  it("the fleet's roster output gives each server's status", async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          const state: Props = { ...a.inputs };
          if (a.type.endsWith(":FleetRoster"))
            state.servers = {
              a: { serverId: "srv_a", status: "running", connectUrl: "steam://connect/192.0.2.1:27015" },
              final: { serverId: "srv_final", status: "stopped", connectUrl: null },
            };
          return { id: `${a.name}_id`, state };
        },
        call: (a) => a.inputs,
      },
      "fleet",
      "test",
      true,
    );
    const fleet = new GameServerFleet("cup", definition());
    const status = (key: string) => new Promise((resolve) => fleet.roster[key]!.status.apply(resolve));
    expect(await status("final")).toBe("stopped");
    expect(await status("a")).toBe("running");
    expect(await new Promise((resolve) => fleet.roster.final!.connectUrl.apply(resolve))).toBeNull();
    await waitForRPCs();
  });
});

describe("GameServerFleet waits without holding the engine's slots", () => {
  const env = useEmulator({ bootDelayMs: 400 });

  it("creates the servers without waiting, a part at a time, then one roster resource waits for all and carries real addresses", async () => {
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
      // The twelve servers are spread over parts, each in the part its key names...
      const parts = run.resources.filter((r) => r.type === FLEET_SERVERS_TYPE);
      expect(parts.length).toBeGreaterThan(1);
      const servers = parts.flatMap((part) =>
        Object.entries(part.outputs.servers as Record<string, Props>).map(([key, server]) => {
          expect(part.name).toBe(partName(key));
          return server;
        }),
      );
      expect(servers).toHaveLength(12);
      // ...and each part's create returned once the API accepted its servers, before they ran...
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
      const created = events.filter((e) => e.kind === "created" && e.type === FLEET_SERVERS_TYPE).map((e) => e.at);
      expect(created).toHaveLength(parts.length);
      expect(rosterStarted).toBeGreaterThanOrEqual(Math.max(...created));
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
      const counted = lines.map((l) => /GameServerFleet "cup": (\d+) servers? created \(/.exec(l)?.[1]).filter((n) => n !== undefined);
      expect(counted).toHaveLength(parts.length);
      expect(counted.reduce((sum, n) => sum + Number(n), 0)).toBe(12);
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
          if (a.type === FLEET_SERVERS_TYPE)
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
        for (const key of ["first", "queued"] as const) {
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

describe("GameServerFleet: a live match is never ended by accident", () => {
  const env = useEmulator();
  const fixture = useProviderHost(env);

  const definition = (
    servers: GameServerFleetArgs["servers"],
    defaults: Partial<GameServerFleetArgs["defaults"]> = {},
  ): GameServerFleetArgs => ({
    defaults: { gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION, ...defaults },
    servers,
  });
  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      () => "done",
      (error: Error) => error.message,
    );

  it("refuses to remove or replace a server with players connected, says so in the preview, and does it on purpose", async () => {
    const stack = new PartsStack(fixture.host);
    await stack.up(await declareParts(definition({ a: {}, b: {}, c: {} })));
    const [idB, idC] = [stack.server("b").serverId as string, stack.server("c").serverId as string];
    await env.control.connect(idB, 2);
    await env.control.connect(idC, ["alice"]);

    // Removing b: refused, b keeps running, nothing is written.
    let before = await requests(env);
    expect(await failureOf(stack.up(await declareParts(definition({ a: {}, c: {} }))))).toMatch(
      /b: GameServer "cup-b-[0-9a-f]{7}" \(srv_[\w-]+\): not deleting it: 2 players connected/,
    );
    expect(delta(before, await requests(env))).toEqual({});
    expect((await env.client.gameServers.get(idB)).status).toBe("running");

    // Moving c: the preview names its players; the replacement is refused before a server is made for it.
    fixture.host.output = "";
    before = await requests(env);
    const moved = { a: {}, b: {}, c: { region: "eu-west-1" } };
    expect(await failureOf(stack.up(await declareParts(definition(moved))))).toMatch(
      /c: GameServer "cup-c-[0-9a-f]{7}" \(srv_[\w-]+\): not replacing it: 1 player connected/,
    );
    await expectPrinted(fixture.host, `GameServerFleet "cup": c (${idC}): 1 player connected now: \`pulumi up\` refuses the replacement`);
    expect(delta(before, await requests(env))).toEqual({});
    expect((await env.client.gameServers.get(idC)).status).toBe("running");

    // On purpose: the same change with whenPlayersConnected "end" replaces c and removes b.
    before = await requests(env);
    await stack.up(await declareParts(definition({ a: {}, c: { region: "eu-west-1" } }, { whenPlayersConnected: "end" })));
    expect(delta(before, await requests(env))).toMatchObject({ [POST]: 1, [DELETE]: 2 });
    expect(stack.keys()).toEqual(["a", "c"]);
    expect((await env.client.gameServers.get(idC)).deletedAt).not.toBeNull();
  });
});
