import { describe, expect, it } from "vitest";
import { partOf } from "../../../provider/fleet/parts.js";
import { CS2_CONFIG, useEmulator } from "../../helpers/emulator.js";
import { type ProviderHost, ROOT, serializedProvider, useProviderHost } from "../../helpers/provider-host.js";

// Issue 17, point 4: `pulumi refresh` of a fleet, through Pulumi's own dynamic-provider host: the
// read of each FleetServers part and of the FleetRoster, under the API's rate limit.

const { rconPassword: _r, ...CONFIGURATION } = CS2_CONFIG;
type Props = Record<string, unknown>;
interface Deployed {
  name: string;
  id: string;
  outs: Props;
}
/** The engine's default `--parallel` on a 2-core machine (4 x CPUs): reads in flight at once. */
const ENGINE_PARALLEL = 8;

/**
 * A fleet of `count` auto-named servers as its program declares it: each server in the part its
 * key names (see partOf), then the roster of all of them, created through the host.
 */
async function deployFleet(host: ProviderHost, count: number): Promise<Deployed[]> {
  const [fleetProvider, rosterProvider] = await Promise.all([
    serializedProvider(ROOT, "pulumi-gameservers/fleet-provider"),
    serializedProvider(ROOT, "pulumi-gameservers/roster-provider"),
  ]);
  const parts = new Map<string, Record<string, Props>>();
  for (let n = 1; n <= count; n++) {
    const key = `match-${n}`;
    const name = `cup-servers-${partOf(key, false) + 1}`;
    parts.set(name, { ...parts.get(name), [key]: { autoNamePrefix: `cup-${key}` } });
  }
  const deployed = await Promise.all(
    [...parts].map(async ([name, servers]) => {
      const news = {
        __provider: fleetProvider,
        fleet: "cup",
        common: { gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION },
        servers,
        passwords: {},
      };
      const { inputs, failures } = await host.check(name, {}, news);
      expect(failures).toEqual([]);
      return { name, ...(await host.create(name, inputs)) };
    }),
  );
  const ids: Record<string, { serverId: string }> = {};
  for (const part of deployed)
    for (const [key, s] of Object.entries(part.outs.servers as Record<string, Props>)) ids[key] = { serverId: s.serverId as string };
  expect(Object.keys(ids)).toHaveLength(count);
  const roster = { fleet: "cup", servers: ids, readyTimeoutSeconds: 600, __provider: rosterProvider };
  return [...deployed, { name: "cup-roster", ...(await host.create("cup-roster", roster)) }];
}

/**
 * `pulumi refresh`: every resource read, {@link ENGINE_PARALLEL} at a time (the roster among the
 * first, beside the parts' reads); what each read returned or threw.
 */
async function refresh(host: ProviderHost, resources: Deployed[]): Promise<Map<string, { id: string; props: Props } | Error>> {
  const results = new Map<string, { id: string; props: Props } | Error>();
  const queue = [...resources].sort((a, b) => Number(b.name === "cup-roster") - Number(a.name === "cup-roster"));
  const reader = async () => {
    for (let r = queue.shift(); r; r = queue.shift()) {
      results.set(r.name, await host.read(r.name, r.id, r.outs).catch((e: unknown) => e as Error));
    }
  };
  await Promise.all(Array.from({ length: ENGINE_PARALLEL }, reader));
  return results;
}

/** Each read kept its resource, with every server as the API has it (running, its address). */
function expectRefreshed(resources: Deployed[], results: Map<string, { id: string; props: Props } | Error>, count: number): void {
  const failed = [...results].filter(([, r]) => r instanceof Error).map(([name, e]) => `${name}: ${(e as Error).message}`);
  expect(failed).toEqual([]);
  let servers = 0;
  for (const r of resources) {
    const read = results.get(r.name) as { id: string; props: Props };
    expect(read.id).toBe(r.id);
    const entries = Object.values(read.props.servers as Record<string, Props>);
    if (r.name !== "cup-roster") servers += entries.length;
    for (const s of entries) expect(s).toMatchObject({ status: "running", ip: expect.any(String), port: expect.any(Number) });
  }
  expect(servers).toBe(count);
  const roster = (results.get("cup-roster") as { props: Props }).props.servers as Record<string, Props>;
  expect(Object.keys(roster)).toHaveLength(count);
}

describe("GameServerFleet refresh under the API's rate limit", () => {
  const env = useEmulator();
  const fixture = useProviderHost(env);

  it("one 429 does not fail the refresh of a 40-server fleet: the roster's read retries it", async () => {
    const resources = await deployFleet(fixture.host, 40);
    await env.control.fault({ method: "GET", route: "/v1/game-servers", times: 1, status: 429, retryAfterSeconds: 0 });
    expectRefreshed(resources, await refresh(fixture.host, resources), 40);
  });

  it("refreshes a 500-server fleet at 10 requests/s, with at most 0.1 requests per server", { timeout: 180_000 }, async () => {
    const resources = await deployFleet(fixture.host, 500);
    await env.control.config({ rateLimitPerSecond: 10 });
    try {
      const before = (await env.control.stats()).requests.total;
      const results = await refresh(fixture.host, resources);
      const sent = (await env.control.stats()).requests.total - before;
      expectRefreshed(resources, results, 500);
      // 429s count: the emulator counts every request it receives.
      expect(sent).toBeLessThanOrEqual(50);
    } finally {
      await env.control.config({ rateLimitPerSecond: null });
    }
  });
});
