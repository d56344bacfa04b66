import { GameServer, getLatestLog, ServerCommand } from "pulumi-gameservers";
import { runOffline } from "pulumi-gameservers/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { CS2_CONFIG, cs2, useEmulator } from "../../helpers/emulator.js";
import { HostError, ROOT, serializedProvider, useProviderHost } from "../../helpers/provider-host.js";

const { rconPassword: _r, ...CONFIGURATION } = CS2_CONFIG;

describe("ServerCommand through Pulumi's dynamic-provider host", () => {
  const env = useEmulator();
  const fixture = useProviderHost(env);
  let provider: string;
  beforeAll(async () => {
    provider = await serializedProvider(ROOT, "pulumi-gameservers/command-provider");
  });

  /** The console lines a server logged, the `> command` echoes only. */
  async function echoes(serverId: string): Promise<string[]> {
    const { content } = await env.client.logs.latest(serverId);
    return content
      .split("\n")
      .filter((l) => l.includes("] > "))
      .map((l) => l.slice(l.indexOf("> ") + 2));
  }

  it("sends on create in order, again when commands change, never when nothing changed, and onDelete on delete", async () => {
    const server = await env.client.gameServers.create(cs2("match"));
    const news = {
      serverId: server.id,
      commands: ["changelevel de_mirage", "say Match ready"],
      onDelete: ["say Match over"],
      __provider: provider,
    };
    const checked = await fixture.host.check("cmd", {}, news);
    expect(checked.failures).toEqual([]);
    const { id, outs } = await fixture.host.create("cmd", checked.inputs);
    expect(outs.sent).toEqual([
      { command: "changelevel de_mirage", sentAt: expect.any(String) },
      { command: "say Match ready", sentAt: expect.any(String) },
    ]);
    expect(await echoes(server.id)).toEqual(["changelevel de_mirage", "say Match ready"]);

    // An unchanged up: no diff, nothing sent.
    expect((await fixture.host.diff("cmd", id, outs, checked.inputs)).changes).toBe("none");

    // A new onDelete alone is recorded, not sent; changed commands are sent again.
    const quieter = { ...checked.inputs, onDelete: ["say Bye"] };
    expect((await fixture.host.diff("cmd", id, outs, quieter)).changes).toBe("some");
    const kept = await fixture.host.update("cmd", id, outs, quieter);
    expect(await echoes(server.id)).toHaveLength(2);
    const changed = { ...quieter, commands: ["say Round two"] };
    const updated = await fixture.host.update("cmd", id, kept, changed);
    expect(updated.sent).toEqual([{ command: "say Round two", sentAt: expect.any(String) }]);

    await fixture.host.delete("cmd", id, updated);
    expect(await echoes(server.id)).toEqual(["changelevel de_mirage", "say Match ready", "say Round two", "say Bye"]);
    // Another server is another console: replace.
    expect((await fixture.host.diff("cmd", id, updated, { ...changed, serverId: "srv_other" })).replaces).toEqual(["serverId"]);
  });

  it("waits for a server that is still starting, then sends", async () => {
    await env.control.config({ bootDelayMs: 300 });
    const server = await env.client.gameServers.create(cs2("booting"));
    expect(server.status).toBe("allocating");
    const { outs } = await fixture.host.create("boot", { serverId: server.id, commands: ["say Up"], __provider: provider });
    expect(outs.sent).toHaveLength(1);
    expect(await echoes(server.id)).toEqual(["say Up"]);
  });

  it("fails with the API's reason when the server refuses, and checks its inputs without a call", async () => {
    const server = await env.client.gameServers.create(cs2("gone"));
    await env.client.gameServers.delete(server.id);
    const error = await fixture.host
      .create("x", { serverId: server.id, commands: ["say hi"], __provider: provider })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostError);
    expect((error as Error).message).toMatch(/ServerCommand \(srv_[^)]+\): the server was deleted; nothing was sent|not found/);

    const requests = (await env.control.stats()).requests.total;
    const bad = await fixture.host.check("x", {}, { serverId: "..", commands: ["", "two\nlines"], bogus: 1, __provider: provider });
    expect([...new Set(bad.failures.map((f) => f.property))].sort()).toEqual(["bogus", "commands", "serverId"]);
    expect(bad.failures.map((f) => f.reason)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^commands\.0 must not be empty/),
        expect.stringMatching(/^commands\.1 must be a single line/),
      ]),
    );
    expect((await env.control.stats()).requests.total).toBe(requests);
  });
});

describe("getLatestLog in a program", () => {
  const env = useEmulator();

  it("reads the log with the stack's config once the server exists", async () => {
    const run = await runOffline({
      program: () => {
        const server = new GameServer("logged", { gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION });
        const hello = new ServerCommand("hello", { serverId: server.id, commands: ["say hello from the program"] });
        // After the command: the log shows it.
        return { log: getLatestLog({ serverId: hello.serverId }) };
      },
      cwd: ROOT,
      apiUrl: env.emulator.url,
      apiKey: env.emulator.apiKey,
      config: { "gameservers:apiKey": env.emulator.apiKey, "gameservers:apiUrl": env.emulator.url },
      secretKeys: ["gameservers:apiKey"],
    });
    try {
      const log = run.outputs.log as { empty: boolean; content: string };
      expect(log.empty).toBe(false);
      expect(log.content).toContain("Console: hello from the program");
      expect(run.secretOutputs).not.toContain("log");
    } finally {
      await run.destroy();
    }
  });
});
