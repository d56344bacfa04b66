import { GameServer, GameServerFleet, getLatestLog, ServerCommand } from "pulumi-gameservers";
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
    expect((error as Error).message).toMatch(
      new RegExp(`ServerCommand: (${server.id} was deleted; nothing was sent|sending "say \\.\\.\\." to ${server.id} failed: .*not found)`),
    );

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

describe("ServerCommand's lines name it and its server", () => {
  const env = useEmulator();
  const fixture = useProviderHost(env);
  let provider: string;
  beforeAll(async () => {
    provider = await serializedProvider(ROOT, "pulumi-gameservers/command-provider");
  });
  const COMMAND = "POST /v1/hosting/game/console/:id/command";

  it("names itself, the fleet and the key its server has there, and keeps the id; arguments are left out", async () => {
    const server = await env.client.gameServers.create(cs2("cup-final-1"));
    const label = { name: "announce-final-1", fleet: "cup", key: "final-1" };
    await fixture.host.create("announce-final-1", {
      serverId: server.id,
      commands: ["say Final at 18:00", "sv_password hunter2", "status"],
      __label: label,
      __provider: provider,
    });
    const line = `[gameservers] ServerCommand "announce-final-1": sent "say ...", "sv_password ...", "status" to cup/final-1 (${server.id})\n`;
    const output = await fixture.host.outputWith(line);
    expect(output).toContain(line);
    expect(output).not.toContain("hunter2");

    // A refusal names the command by its place, the fleet server and its id too.
    await env.client.gameServers.delete(server.id);
    const error = await fixture.host
      .create("announce-final-1", { serverId: server.id, commands: ["say a", "say b"], __label: label, __provider: provider })
      .catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(HostError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `ServerCommand "announce-final-1": (cup/final-1 \\(${server.id}\\) was deleted; nothing was sent|sending "say \\.\\.\\." \\(command 1 of 2; none was sent\\) to cup/final-1 \\(${server.id}\\) failed)`,
      ),
    );
  });

  it("is only a label: a stack written before it or after shows no change and sends nothing again", async () => {
    const server = await env.client.gameServers.create(cs2("match"));
    const unlabelled = { serverId: server.id, commands: ["say Match ready"], onDelete: ["say Match over"], __provider: provider };
    const labelled = { ...unlabelled, __label: { name: "ready", fleet: "cup", key: "a" } };
    expect((await fixture.host.check("ready", {}, labelled)).failures).toEqual([]);

    // Written before the label: the program now sends one.
    const before = await fixture.host.create("ready", unlabelled);
    // Written after it; then the fleet or the key renamed: still the same commands to the same server.
    const after = await fixture.host.create("ready", labelled);
    const sent = await env.control.hits(COMMAND);
    for (const [state, news] of [
      [before, labelled],
      [after, labelled],
      [after, { ...labelled, __label: { name: "ready", fleet: "spring-cup", key: "final-1" } }],
      [after, unlabelled],
    ] as const) {
      const checked = await fixture.host.check("ready", state.outs, news);
      expect(checked.failures).toEqual([]);
      expect(await fixture.host.diff("ready", state.id, state.outs, checked.inputs)).toMatchObject({ changes: "none", replaces: [] });
    }
    expect(await env.control.hits(COMMAND)).toBe(sent);

    // The state from before names the server by its id alone, as it always did.
    fixture.host.output = "";
    await fixture.host.delete("ready", before.id, before.outs);
    const line = `[gameservers] ServerCommand: sent "say ..." to ${server.id}\n`;
    expect(await fixture.host.outputWith(line)).toContain(line);
    expect(await env.control.hits(COMMAND)).toBe(sent + 1);
  });

  describe("in a program", () => {
    it("names the fleet and key of a fleet's server, and the id alone of any other server", async () => {
      const lines: string[] = [];
      const run = await runOffline({
        program: () => {
          const fleet = new GameServerFleet("cup", {
            defaults: { gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION },
            servers: { "final-1": {}, "final-2": {} },
          });
          for (const [key, server] of Object.entries(fleet.servers)) {
            new ServerCommand(
              `announce-${key}`,
              { serverId: server.serverId, commands: ["say Final at 18:00"] },
              { dependsOn: [fleet.ready] },
            );
          }
          const lone = new GameServer("lone", { gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION });
          new ServerCommand("hello", { serverId: lone.serverId, commands: ["say hello"] });
          return { ids: Object.fromEntries(Object.entries(fleet.servers).map(([key, s]) => [key, s.serverId])), lone: lone.serverId };
        },
        cwd: ROOT,
        apiUrl: env.emulator.url,
        apiKey: env.emulator.apiKey,
        log: (line) => lines.push(line),
      });
      try {
        const ids = run.outputs.ids as Record<string, string>;
        expect(lines.filter((l) => l.includes("ServerCommand")).sort()).toEqual([
          `[gameservers] ServerCommand "announce-final-1": sent "say ..." to cup/final-1 (${ids["final-1"]})`,
          `[gameservers] ServerCommand "announce-final-2": sent "say ..." to cup/final-2 (${ids["final-2"]})`,
          `[gameservers] ServerCommand "hello": sent "say ..." to ${run.outputs.lone}`,
        ]);
      } finally {
        await run.destroy();
      }
    });
  });
});

describe("getLatestLog in a program", () => {
  const env = useEmulator();

  it("a run whose server fails rejects with the provider's message, not an unhandled rejection of the log's read", async () => {
    const failure = await runOffline({
      program: () => {
        const server = new GameServer("broken", {
          gameType: "cs2",
          region: "eu-central-1",
          configuration: { ...CONFIGURATION, maxPlayers: 500 },
        });
        const ready = new ServerCommand("ready", { serverId: server.id, commands: ["say ready"] });
        return { log: getLatestLog({ serverId: ready.serverId }) };
      },
      cwd: ROOT,
      apiUrl: env.emulator.url,
      apiKey: env.emulator.apiKey,
      config: { "gameservers:apiKey": env.emulator.apiKey, "gameservers:apiUrl": env.emulator.url },
      secretKeys: ["gameservers:apiKey"],
    }).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(failure).toMatch(/GameServer "broken": invalid inputs: configuration: configuration\.maxPlayers /);
    // Let any read the program started settle: an unhandled rejection would fail this test file.
    await new Promise((resolve) => setTimeout(resolve, 200));
  });

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
