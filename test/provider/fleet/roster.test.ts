import { GameServerFleet } from "pulumi-gameservers";
import { runOffline } from "pulumi-gameservers/testing";
import { describe, expect, it } from "vitest";
import type { GameServer, GameServersClient } from "../../../sdk/index.js";
import { CS2_CONFIG, cs2, useEmulator } from "../../helpers/emulator.js";
import { HostError, ROOT, serializedProvider, useProviderHost } from "../../helpers/provider-host.js";

const { rconPassword: _r, ...CONFIGURATION } = CS2_CONFIG;

/** Reads the servers until every one runs, as the program's own watch does before the roster starts. */
async function untilRunning(client: GameServersClient, ids: string[]): Promise<GameServer[]> {
  for (;;) {
    const servers = await Promise.all(ids.map((id) => client.gameServers.get(id)));
    if (servers.every((s) => s.status === "running")) return servers;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * What the API's own timestamps say, in seconds to a tenth: from the first of these servers'
 * creates it accepted (`createdAt`) to the last of them running (`updatedAt`, which that status
 * change set).
 */
function apiSeconds(servers: GameServer[]): string {
  const accepted = Math.min(...servers.map((s) => Date.parse(s.createdAt)));
  const ran = Math.max(...servers.map((s) => Date.parse(s.updatedAt)));
  return ((ran - accepted) / 1000).toFixed(1);
}

describe("a fleet's roster through Pulumi's dynamic-provider host", () => {
  const env = useEmulator();
  const fixture = useProviderHost(env);
  const rosterInputs = async (servers: Record<string, { serverId: string; wait?: boolean }>, waitUntil: string) => ({
    fleet: "f",
    servers,
    readyTimeoutSeconds: 600,
    waitUntil,
    __provider: await serializedProvider(ROOT, "pulumi-gameservers/roster-provider"),
  });
  const inAMinute = () => new Date(Date.now() + 60_000).toISOString();

  it("confirms servers already running with one read, without waiting", async () => {
    const client = env.clientWith(env.emulator.apiKey);
    const ready = await client.gameServers.create(cs2("ready"));
    const inputs = await rosterInputs({ ready: { serverId: ready.id } }, inAMinute());
    const before = await env.control.stats();
    const made = await fixture.host.create("f-roster", inputs);
    const after = await env.control.stats();
    expect(after.requests.total - before.requests.total).toBe(1);
    expect((made.outs.servers as Record<string, { connectUrl: string }>).ready!.connectUrl).toBe(
      (await client.gameServers.get(ready.id)).connectUrl,
    );
    expect(await fixture.host.outputWith("all 1 running")).not.toMatch(/waiting for/);
  });

  it("says how long its servers took to run from their creates, not how long its own wait took", async () => {
    await env.control.config({ bootDelayMs: 1500 });
    const client = env.clientWith(env.emulator.apiKey);
    const [a, b] = await Promise.all([client.gameServers.create(cs2("a")), client.gameServers.create(cs2("b"))]);
    // In a fleet the program watched them run before the roster started: its own wait is one read.
    const servers = await untilRunning(client, [a!.id, b!.id]);
    const seconds = apiSeconds(servers);
    expect(Number(seconds)).toBeGreaterThanOrEqual(1.5);
    await fixture.host.create("f-roster", await rosterInputs({ a: { serverId: a!.id }, b: { serverId: b!.id } }, inAMinute()));
    const line = `GameServerFleet "f": all 2 running, ${seconds} s after their creates were accepted\n`;
    expect(await fixture.host.outputWith(line)).toContain(line);
  });

  it("times only the servers an update brought, and gives no time when it brought none", async () => {
    await env.control.config({ bootDelayMs: 1000 });
    const client = env.clientWith(env.emulator.apiKey);
    const [a, b] = await Promise.all([client.gameServers.create(cs2("a")), client.gameServers.create(cs2("b"))]);
    await untilRunning(client, [a!.id, b!.id]);
    const first = await rosterInputs({ a: { serverId: a!.id }, b: { serverId: b!.id } }, inAMinute());
    const made = await fixture.host.create("f-roster", first);

    // b is replaced by c: the update's new server is timed, the one an earlier run made is not.
    const c = await client.gameServers.create(cs2("c"));
    const [ranC] = await untilRunning(client, [c.id]);
    const second = await rosterInputs({ a: { serverId: a!.id }, b: { serverId: c.id } }, inAMinute());
    fixture.host.output = "";
    const updated = await fixture.host.update("f-roster", made.id, made.outs, second);
    const line = `GameServerFleet "f": all 2 running; b (new) ran ${apiSeconds([ranC!])} s after its create was accepted\n`;
    expect(await fixture.host.outputWith(line)).toContain(line);

    // Only the deadline changed: every server ran at an earlier run, so there is nothing to time.
    fixture.host.output = "";
    await fixture.host.update("f-roster", made.id, updated, { ...second, readyTimeoutSeconds: 300 });
    expect(await fixture.host.outputWith("all 2 running")).toContain('GameServerFleet "f": all 2 running\n');
  });

  it("counts no servers when it waited for none: a stopped server it only lists gets its own lines", async () => {
    const client = env.clientWith(env.emulator.apiKey);
    const listed = await client.gameServers.create(cs2("listed"));
    await env.control.stop(listed.id);
    await fixture.host.create("f-roster", await rosterInputs({ listed: { serverId: listed.id, wait: false } }, inAMinute()));
    const output = await fixture.host.outputWith("1 server stopped (listed)");
    expect(output).toContain(`listed (${listed.id}, "listed") is stopped`);
    expect(output).not.toMatch(/\d+\/\d+ running/);
  });

  it("counts a stopped server among those not running when others failed", async () => {
    await env.control.config({ capacity: { "eu-west-1": 0 }, maxAllocationAttempts: 1, queueIntervalMs: 3_600_000 });
    const client = env.clientWith(env.emulator.apiKey);
    const stopped = await client.gameServers.create(cs2("stopped"));
    await env.control.stop(stopped.id);
    const failed = await client.gameServers.create(cs2("failed", "eu-west-1"));
    await env.control.tick();
    const inputs = await rosterInputs({ stopped: { serverId: stopped.id }, failed: { serverId: failed.id } }, inAMinute());
    const error = await fixture.host.create("f-roster", inputs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostError);
    expect((error as HostError).message).toContain(
      `GameServerFleet "f": 0/2 servers running; 2 not (1 stopped by the platform, said above: stopped):\n  - failed (${failed.id}) is failed`,
    );
  });

  it("ends its wait at the fleet's deadline (waitUntil), when that comes before readyTimeoutSeconds", async () => {
    await env.control.config({ capacity: { "eu-west-1": 0 }, queueIntervalMs: 3_600_000 });
    const stuck = await env.clientWith(env.emulator.apiKey).gameServers.create(cs2("stuck", "eu-west-1"));
    const inputs = await rosterInputs({ stuck: { serverId: stuck.id } }, new Date(Date.now() + 500).toISOString());
    const error = await fixture.host.create("f-roster", inputs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostError);
    expect((error as HostError).message).toMatch(
      /stuck \(srv_[\w-]+\) is still pending at the fleet's deadline \(readyTimeoutSeconds 600, counted from when its servers were created\)/,
    );
  });

  it("says how long it has waited in its progress line, every 5 s while servers remain", async () => {
    await env.control.config({ capacity: { "eu-west-1": 0 }, queueIntervalMs: 3_600_000, maxAllocationAttempts: 100 });
    const client = env.clientWith(env.emulator.apiKey);
    const [one, two] = await Promise.all([
      client.gameServers.create(cs2("one", "eu-west-1")),
      client.gameServers.create(cs2("two", "eu-west-1")),
    ]);
    const inputs = await rosterInputs({ one: { serverId: one!.id }, two: { serverId: two!.id } }, inAMinute());
    const made = fixture.host.create("f-roster", inputs).then(
      () => "done",
      (e: Error) => e.message,
    );
    await fixture.host.outputWith("waiting for 2 servers");
    // Past the 5 s between progress lines, one server gets a slot; the other a little later.
    await new Promise((r) => setTimeout(r, 5_300));
    await env.control.config({ capacity: { "eu-west-1": 1 } });
    await env.control.tick();
    expect(await fixture.host.outputWith("1/2 running")).toMatch(/GameServerFleet "f": 1\/2 running, after waiting [56] s\n/);
    await env.control.config({ capacity: { "eu-west-1": 2 } });
    await env.control.tick();
    expect(await made).toBe("done");
    expect(await fixture.host.outputWith("all 2 running")).toMatch(/all 2 running, \d+\.\d s after their creates were accepted\n/);
  });
});

describe("a fleet's roster line in a program's run", () => {
  const env = useEmulator({ bootDelayMs: 1500 });

  it("says how long the fleet's servers took to run after their creates, though the program saw them run first", async () => {
    const lines: string[] = [];
    const run = await runOffline({
      program: () => {
        const fleet = new GameServerFleet("cup", {
          defaults: { gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION },
          count: 3,
        });
        return { roster: fleet.roster };
      },
      cwd: ROOT,
      apiUrl: env.emulator.url,
      apiKey: env.emulator.apiKey,
      pollIntervalMs: 50,
      log: (line) => lines.push(line),
    });
    try {
      const servers = (await env.client.gameServers.list()).items;
      expect(servers).toHaveLength(3);
      const seconds = apiSeconds(servers);
      expect(Number(seconds)).toBeGreaterThanOrEqual(1.5);
      expect(lines.filter((l) => l.includes(" running"))).toEqual([
        `[gameservers] GameServerFleet "cup": all 3 running, ${seconds} s after their creates were accepted`,
      ]);
    } finally {
      await run.destroy();
    }
  });
});
