import { describe, expect, it } from "vitest";
import { cs2, useEmulator } from "../../helpers/emulator.js";
import { HostError, ROOT, serializedProvider, useProviderHost } from "../../helpers/provider-host.js";

describe("a fleet's roster through Pulumi's dynamic-provider host", () => {
  const env = useEmulator();
  const fixture = useProviderHost(env);
  const rosterInputs = async (servers: Record<string, { serverId: string }>, waitUntil: string) => ({
    fleet: "f",
    servers,
    readyTimeoutSeconds: 600,
    waitUntil,
    __provider: await serializedProvider(ROOT, "pulumi-gameservers/roster-provider"),
  });

  it("confirms servers already running with one read, without waiting", async () => {
    const client = env.clientWith(env.emulator.apiKey);
    const ready = await client.gameServers.create(cs2("ready"));
    const inputs = await rosterInputs({ ready: { serverId: ready.id } }, new Date(Date.now() + 60_000).toISOString());
    const before = await env.control.stats();
    const made = await fixture.host.create("f-roster", inputs);
    const after = await env.control.stats();
    expect(after.requests.total - before.requests.total).toBe(1);
    expect((made.outs.servers as Record<string, { connectUrl: string }>).ready!.connectUrl).toBe(
      (await client.gameServers.get(ready.id)).connectUrl,
    );
    expect(await fixture.host.outputWith("all 1 running")).not.toMatch(/waiting for/);
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
});
