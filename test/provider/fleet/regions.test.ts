import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import type { GameServerFleetArgs, Region } from "pulumi-gameservers";
import { describe, expect, it, vi } from "vitest";
import { CS2_CONFIG, useEmulator } from "../../helpers/emulator.js";
import { declareParts, delta, PartsStack, requests } from "../../helpers/fleet-parts.js";
import { type ProviderHost, UNKNOWN, useProviderHost } from "../../helpers/provider-host.js";

// A fleet's regions must not re-deal when one server is pinned, added or removed (a move is a
// replacement), and a stack the older round-robin deal deployed keeps every server where it is.

const { rconPassword: _r, ...CONFIGURATION } = CS2_CONFIG;
type Props = Record<string, unknown>;

const EU: Region[] = ["eu-central-1", "eu-west-1"];

/** Each server of checked (or stored) part inputs, whole: the part's common settings under its own. */
function serversOf(parts: Iterable<Props>): Record<string, Props> {
  const out: Record<string, Props> = {};
  for (const part of parts) {
    const common = (part.common ?? {}) as Props;
    for (const [key, own] of Object.entries(part.servers as Record<string, Props>)) {
      out[key] = {
        ...common,
        ...own,
        configuration: { ...((common.configuration ?? {}) as Props), ...((own.configuration ?? {}) as Props) },
      };
    }
  }
  return out;
}

/**
 * Each part checked by the host as the engine does in preview and up: against the inputs the
 * last check returned for it (`olds`), `{}` for a new part. Returns the checked inputs by part.
 */
async function checkAll(host: ProviderHost, declared: Record<string, Props>, olds: Record<string, Props> = {}) {
  const out: Record<string, Props> = {};
  for (const [name, news] of Object.entries(declared)) {
    const { inputs, failures } = await host.check(name, olds[name] ?? {}, news);
    expect(failures).toEqual([]);
    out[name] = inputs;
  }
  return out;
}

const POST = "POST /v1/game-servers";
const DELETE = "DELETE /v1/game-servers/:id";

/** match-1..match-6's regions, in that order. */
const regionsInOrder = (placed: Record<string, [unknown, unknown]>) => [1, 2, 3, 4, 5, 6].map((n) => placed[`match-${n}`]?.[1]);

const six = (servers: Record<string, Props> = {}): GameServerFleetArgs => ({
  defaults: { gameType: "cs2", configuration: CONFIGURATION },
  regions: EU,
  servers: { ...Object.fromEntries([1, 2, 3, 4, 5, 6].map((n) => [`match-${n}`, {}])), ...servers },
});

describe("GameServerFleet regions: one server's edit never moves another", () => {
  const env = useEmulator();
  const fixture = useProviderHost(env);

  it("pinning match-3 replaces only match-3; adding a server first, removing one or un-pinning moves none", async () => {
    const stack = new PartsStack(fixture.host);
    await stack.up(await declareParts(six()));
    const placed = stack.placed();
    // A fresh fleet is dealt evenly, in declaration order.
    expect(regionsInOrder(placed)).toEqual([...EU, ...EU, ...EU]);
    expect(placed["match-3"]![1]).toBe("eu-central-1");

    // The case: only match-3 gets its own region.
    let before = await requests(env);
    await stack.up(await declareParts(six({ "match-3": { region: "eu-west-1" } })));
    expect(delta(before, await requests(env))).toEqual({ [POST]: 1, [DELETE]: 1 });
    const { "match-3": pinned, ...others } = stack.placed();
    const { "match-3": _old, ...othersBefore } = placed;
    expect(others).toEqual(othersBefore);
    expect(pinned![1]).toBe("eu-west-1");

    // A server declared before all the others, and one removed from the front: only they are touched.
    before = await requests(env);
    const { "match-1": _m1, ...rest } = six({ "match-3": { region: "eu-west-1" } }).servers!;
    const edited = { ...six(), servers: { "match-0": {}, ...rest } };
    await stack.up(await declareParts(edited));
    expect(delta(before, await requests(env))).toEqual({ [POST]: 1, [DELETE]: 1 });
    const now = stack.placed();
    for (const key of ["match-2", "match-4", "match-5", "match-6"]) expect(now[key]).toEqual(placed[key]);
    expect(now["match-3"]).toEqual(pinned);

    // Un-pinned, match-3 stays where it is: its region is one of the fleet's.
    before = await requests(env);
    await stack.up(await declareParts({ ...edited, servers: { ...edited.servers, "match-3": {} } }));
    expect(delta(before, await requests(env))).toEqual({});
    expect(stack.placed()).toEqual(now);
    await stack.destroy();
  });

  it("a stack the round-robin deployed upgrades with no request, and keeps its servers where they are after a pin", async () => {
    const stack = new PartsStack(fixture.host);
    // What 67b3bd2 sent for six() with match-2 pinned to eu-central-1: the others dealt round-robin
    // over the unpinned ones in order (match-1 c, match-3 w, match-4 c, match-5 w, match-6 c). Its
    // wire form is a region on every server, as a pinned one has it.
    const old: Region[] = ["eu-central-1", "eu-central-1", "eu-west-1", "eu-central-1", "eu-west-1", "eu-central-1"];
    const oldProgram = six({ "match-2": { region: "eu-central-1" } });
    const oldWire = six(Object.fromEntries(old.map((region, i) => [`match-${i + 1}`, { region }])));
    await stack.up(await declareParts(oldWire));
    const placed = stack.placed();
    expect(regionsInOrder(placed)).toEqual(old);

    // The new provider, the same program: nothing to do (a fresh deal would move match-2..match-6).
    let before = await requests(env);
    await stack.up(await declareParts(oldProgram));
    expect(delta(before, await requests(env))).toEqual({});
    expect(stack.placed()).toEqual(placed);

    // Then the edit the issue names: un-pin match-2, pin match-3 elsewhere. Only match-3 moves.
    before = await requests(env);
    await stack.up(await declareParts(six({ "match-3": { region: "eu-central-1" } })));
    expect(delta(before, await requests(env))).toEqual({ [POST]: 1, [DELETE]: 1 });
    const { "match-3": moved, ...others } = stack.placed();
    const { "match-3": _m3, ...othersBefore } = placed;
    expect(others).toEqual(othersBefore);
    expect(moved![1]).toBe("eu-central-1");
    await stack.destroy();
  });

  it("a preview that does not know the passwords shows the pinned server replaced, and no other", async () => {
    const stack = new PartsStack(fixture.host);
    const withPassword = (args: GameServerFleetArgs) => ({ ...args, defaults: { ...args.defaults, serverPassword: "join-the-cup" } });
    await stack.up(await declareParts(withPassword(six())));
    const declared = await declareParts(withPassword(six({ "match-3": { region: "eu-west-1" } })));
    fixture.host.output = "";
    for (const [name, news] of Object.entries(declared)) {
      const part = stack.parts.get(name)!;
      const { inputs } = await fixture.host.check(name, part.inputs, { ...news, passwords: UNKNOWN });
      await fixture.host.diff(name, part.id, part.outs, inputs);
    }
    // Every part changes (its passwords may): wait for each one's line.
    const parts = Object.keys(declared).length;
    await expect.poll(() => fixture.host.output.match(/GameServerFleet "cup": /g)?.length ?? 0).toBe(parts);
    expect(fixture.host.output).toContain("replaces match-3 (region)");
    expect(fixture.host.output.match(/replaces/g)).toHaveLength(1);
    await stack.destroy();
  });

  it("removing a region from the list moves only the servers that were in it", async () => {
    const three: Region[] = [...EU, "us-east-1"];
    const olds = await checkAll(fixture.host, await declareParts({ ...six(), regions: three }));
    const before = serversOf(Object.values(olds));
    const after = serversOf(Object.values(await checkAll(fixture.host, await declareParts(six()), olds)));
    for (const [key, server] of Object.entries(before)) {
      if (server.region === "us-east-1") expect(EU).toContain(after[key]!.region);
      else expect(after[key]).toEqual(server);
    }
    expect(Object.values(before).filter((s) => s.region === "us-east-1")).toHaveLength(2);
  });

  it("refuses a part whose server's dealt regions are not a list of region codes, naming the server", async () => {
    const [[name, news]] = Object.entries(await declareParts({ ...six(), servers: { "match-1": {} } })) as [[string, Props]];
    const servers = { "match-1": { ...((news.servers as Props)["match-1"] as Props), spread: "eu-west-1" } };
    const { failures } = await fixture.host.check(name, {}, { ...news, servers });
    expect(failures).toEqual([
      { property: "servers", reason: "servers.match-1.spread must be the fleet's regions (a list of region codes)" },
    ]);
  });
});

// ---- property: random fleets, random single edits ------------------------------------------

const POOL: Region[] = ["eu-central-1", "eu-west-1", "us-east-1", "us-west-2"];
const KEYS = ["s-0", "s-1", "s-2", "s-3", "s-4", "s-5", "s-6", "s-7"];

/** A fleet as the test edits it: counted servers `server-{n}`, then servers by key in order. */
interface Model {
  regions?: Region[];
  defaultRegion: Region;
  freezeTime: number;
  count: number;
  /** Own settings by key, in declaration order; a `server-{n}` key overrides a counted server. */
  servers: [string, { region?: Region; freezeTime?: number; fixedName?: boolean }][];
}

/** The keys in resolveFleet's order: counted first, then the rest of `servers`. */
function keysOf(m: Model): string[] {
  const counted = Array.from({ length: m.count }, (_, i) => `server-${i + 1}`);
  return [...counted, ...m.servers.map(([k]) => k).filter((k) => !counted.includes(k))];
}

function argsOf(m: Model): GameServerFleetArgs {
  const servers: NonNullable<GameServerFleetArgs["servers"]> = {};
  for (const [key, own] of m.servers) {
    servers[key] = {
      ...(own.region ? { region: own.region } : {}),
      ...(own.freezeTime !== undefined ? { configuration: { freezeTime: own.freezeTime } } : {}),
      ...(own.fixedName ? { name: `cup-${key}` } : {}),
    };
  }
  return {
    defaults: { gameType: "cs2", region: m.defaultRegion, configuration: { ...CONFIGURATION, freezeTime: m.freezeTime } },
    ...(m.regions ? { regions: m.regions } : {}),
    ...(m.count ? { count: m.count } : {}),
    servers,
  };
}

const anyModel: fc.Arbitrary<Model> = fc
  .record({
    regions: fc.option(fc.subarray(POOL, { minLength: 1 }), { nil: undefined }),
    defaultRegion: fc.constantFrom(...POOL),
    freezeTime: fc.integer({ min: 5, max: 20 }),
    count: fc.integer({ min: 0, max: 4 }),
    servers: fc.uniqueArray(
      fc.tuple(
        fc.constantFrom(...KEYS, "server-1", "server-2"),
        fc.record(
          { region: fc.constantFrom(...POOL), freezeTime: fc.integer({ min: 5, max: 20 }), fixedName: fc.boolean() },
          { requiredKeys: [] },
        ),
      ),
      { selector: ([k]) => k, maxLength: 6 },
    ),
  })
  .filter((m) => keysOf(m).length > 0);

type Edit =
  | { kind: "add"; counted: boolean; pick: number }
  | { kind: "remove"; pick: number }
  | { kind: "pin"; pick: number; region: Region }
  | { kind: "unpin"; pick: number }
  | { kind: "freezeTime"; value: number }
  | { kind: "defaultRegion"; region: Region }
  | { kind: "reorder" };

const anyEdit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant("add" as const), counted: fc.boolean(), pick: fc.nat() }),
  fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("pin" as const), pick: fc.nat(), region: fc.constantFrom(...POOL) }),
  fc.record({ kind: fc.constant("unpin" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("freezeTime" as const), value: fc.integer({ min: 5, max: 20 }) }),
  fc.record({ kind: fc.constant("defaultRegion" as const), region: fc.constantFrom(...POOL) }),
  fc.constant({ kind: "reorder" as const }),
);

/** The model after one edit, the key it edits (if any), and the servers that inherit the edited default. */
function apply(m: Model, edit: Edit): { after: Model; edited?: string; inheritors: string[] } {
  const after: Model = { ...m, servers: m.servers.map(([k, s]) => [k, { ...s }]) };
  const own = (key: string) => after.servers.find(([k]) => k === key)?.[1];
  const keys = keysOf(m);
  const key = (pick: number) => keys[pick % keys.length]!;
  switch (edit.kind) {
    case "add": {
      if (edit.counted) {
        after.count++;
        return { after, edited: `server-${after.count}`, inheritors: [] };
      }
      const free = KEYS.filter((k) => !keys.includes(k));
      if (free.length === 0) return { after, inheritors: [] };
      const added = free[edit.pick % free.length]!;
      after.servers.push([added, {}]);
      return { after, edited: added, inheritors: [] };
    }
    case "remove": {
      const removed = key(edit.pick);
      // A fleet declares at least one server.
      if (keys.length === 1) return { after, inheritors: [] };
      if (removed === `server-${m.count}`) {
        // The last counted one goes with the count (an override of it would stay, on its own).
        after.count--;
        after.servers = after.servers.filter(([k]) => k !== removed);
      } else if (!/^server-\d+$/.test(removed) || Number(removed.slice(7)) > m.count) {
        after.servers = after.servers.filter(([k]) => k !== removed);
      } else return { after, inheritors: [] };
      return { after, edited: removed, inheritors: [] };
    }
    case "pin": {
      const pinned = key(edit.pick);
      const settings = own(pinned);
      if (settings) settings.region = edit.region;
      else after.servers.push([pinned, { region: edit.region }]);
      return { after, edited: pinned, inheritors: [] };
    }
    case "unpin": {
      const unpinned = key(edit.pick);
      delete own(unpinned)?.region;
      return { after, edited: unpinned, inheritors: [] };
    }
    case "freezeTime":
      after.freezeTime = edit.value;
      return { after, inheritors: keys.filter((k) => own(k)?.freezeTime === undefined) };
    case "defaultRegion":
      after.defaultRegion = edit.region;
      // The default region is only for servers without their own when the fleet spreads none.
      return { after, inheritors: m.regions ? [] : keys.filter((k) => own(k)?.region === undefined) };
    case "reorder":
      after.servers.reverse();
      return { after, inheritors: [] };
  }
}

/** The old rule (provider/fleet.ts at 67b3bd2): round-robin over the servers without a region, in order. */
function roundRobin(m: Model): Model {
  let spread = 0;
  const servers = keysOf(m).map((key): Model["servers"][number] => {
    const own = m.servers.find(([k]) => k === key)?.[1] ?? {};
    const region = own.region ?? (m.regions ? m.regions[spread++ % m.regions.length] : m.defaultRegion);
    return [key, { ...own, region }];
  });
  return { ...m, count: 0, servers };
}

describe("GameServerFleet regions (property-based, through the provider host)", () => {
  const env = useEmulator();
  const fixture = useProviderHost(env);
  // Each property runs its program and the host's checks 40 to 60 times: minutes on a loaded machine, not seconds.
  vi.setConfig({ testTimeout: 180_000 });

  it("one edit changes the settings of the edited server and of those inheriting an edited default, no other", async () => {
    await fc.assert(
      fc.asyncProperty(anyModel, anyEdit, async (model, edit) => {
        const { after, edited, inheritors } = apply(model, edit);
        const olds = await checkAll(fixture.host, await declareParts(argsOf(model)));
        const was = serversOf(Object.values(olds));
        const now = serversOf(Object.values(await checkAll(fixture.host, await declareParts(argsOf(after)), olds)));
        expect(Object.keys(now).sort()).toEqual(keysOf(after).sort());
        for (const [key, server] of Object.entries(now)) {
          const own = after.servers.find(([k]) => k === key)?.[1] ?? {};
          // Every server where the definition says: its own region, one of the fleet's, else the default.
          if (own.region) expect(server.region).toBe(own.region);
          else if (after.regions) expect(after.regions).toContain(server.region);
          else expect(server.region).toBe(after.defaultRegion);
          if (key === edited || !(key in was)) continue;
          const expected = { ...was[key]! };
          if (inheritors.includes(key) && edit.kind === "freezeTime")
            expected.configuration = { ...(expected.configuration as Props), freezeTime: edit.value };
          if (inheritors.includes(key) && edit.kind === "defaultRegion") expected.region = edit.region;
          expect(server, `${key} after ${JSON.stringify(edit)}`).toEqual(expected);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("a fresh fleet is dealt evenly: a spread server never sits in a region fuller than the emptiest plus one", async () => {
    await fc.assert(
      fc.asyncProperty(anyModel, async (model) => {
        fc.pre(model.regions !== undefined);
        const servers = serversOf(Object.values(await checkAll(fixture.host, await declareParts(argsOf(model)))));
        const used = new Map(model.regions!.map((r) => [r, 0]));
        for (const s of Object.values(servers))
          if (used.has(s.region as Region)) used.set(s.region as Region, used.get(s.region as Region)! + 1);
        const least = Math.min(...used.values());
        for (const [key, s] of Object.entries(servers)) {
          if (model.servers.find(([k]) => k === key)?.[1].region) continue;
          expect(used.get(s.region as Region)).toBeLessThanOrEqual(least + 1);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("a stack the round-robin deployed keeps every server's settings with the same program", async () => {
    await fc.assert(
      fc.asyncProperty(anyModel, async (model) => {
        // The old program's wire form: every server with a region, as a pinned one has it.
        const olds = await checkAll(fixture.host, await declareParts(argsOf(roundRobin(model))));
        const was = serversOf(Object.values(olds));
        const now = serversOf(Object.values(await checkAll(fixture.host, await declareParts(argsOf(model)), olds)));
        expect(now).toEqual(was);
        expect(isDeepStrictEqual(Object.keys(now).sort(), keysOf(model).sort())).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});
