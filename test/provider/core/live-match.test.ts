/**
 * The live-match guard through Pulumi's dynamic-provider host: a delete or a replacement of a
 * server with players connected is refused, allowed on purpose, or drained, as the resource (or
 * the stack) says; players that cannot be read count as connected.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { GameServer } from "pulumi-gameservers";
import { runOffline } from "pulumi-gameservers/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { CS2_CONFIG, useEmulator } from "../../helpers/emulator.js";
import { type HostError, ProviderHost, ROOT, serializedProvider, useProviderHost } from "../../helpers/provider-host.js";

const { rconPassword: _rcon, ...CONFIGURATION } = CS2_CONFIG;

function args(name: string, extra: Record<string, unknown> = {}) {
  return { autoNamePrefix: name, gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION, ...extra };
}

describe("the live-match guard through Pulumi's dynamic-provider host", () => {
  const env = useEmulator();
  const fixture = useProviderHost(env);
  let provider: string;
  beforeAll(async () => {
    provider = await serializedProvider();
  });

  async function up(name: string, extra: Record<string, unknown> = {}, host = fixture.host) {
    const { inputs, failures } = await host.check(name, {}, { ...args(name, extra), __provider: provider });
    expect(failures).toEqual([]);
    return { ...(await host.create(name, inputs)), inputs };
  }

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => "deleted",
      (error: HostError) => error.message,
    );
  const statusOf = async (id: string) => (await env.client.gameServers.get(id)).status;

  /** A provider host of its own (the host hands configure to a provider once): these settings, this environment. */
  async function withHost(
    config: Record<string, string>,
    environment: Record<string, string>,
    body: (host: ProviderHost) => Promise<void>,
  ) {
    const host = await ProviderHost.start(ROOT, {
      GAMESERVERS_JOURNAL_DIR: mkdtempSync(path.join(tmpdir(), "gameservers-journal-")),
      ...environment,
    });
    try {
      await host.configure({
        "gameservers:apiKey": env.emulator.apiKey,
        "gameservers:apiUrl": env.emulator.url,
        "gameservers:pollIntervalMs": "20",
        ...config,
      });
      await body(host);
    } finally {
      await host.stop();
    }
  }

  it("refuses to delete a running server with players connected, and deletes it once they left", async () => {
    const { id, outs } = await up("final");
    await env.control.connect(id, ["alice", "bob"]);
    const message = await refusal(fixture.host.delete("final", id, outs));
    expect(message).toMatch(
      /GameServer "final-[0-9a-f]{7}" \(srv_[\w-]+\): not deleting it: 2 players connected, and deleting it would end their match/,
    );
    expect(message).toContain('whenPlayersConnected: "drain"');
    expect(message).toContain("GAMESERVERS_WHEN_PLAYERS_CONNECTED=end");
    expect(await statusOf(id)).toBe("running");
    // Bots are no match to protect; humans are.
    await env.control.disconnect(id, "all");
    expect(await refusal(fixture.host.delete("final", id, outs))).toBe("deleted");
    expect((await env.client.gameServers.get(id)).deletedAt).not.toBeNull();
  });

  it("says in the preview that a replacement would meet players, and refuses the old server's delete", async () => {
    const { id, outs, inputs } = await up("semi");
    await env.control.connect(id, 3);
    const moved = { ...inputs, region: "eu-west-1" };
    const diff = await fixture.host.diff("semi", id, outs, moved);
    expect(diff.replaces).toContain("region");
    expect(await fixture.host.outputWith("players connected now")).toMatch(
      /GameServer "semi-[0-9a-f]{7}" \(srv_[\w-]+\): 3 players connected now: `pulumi up` refuses the replacement/,
    );
    expect(await refusal(fixture.host.delete("semi", id, outs))).toMatch(/not replacing it: 3 players connected/);
    expect(await statusOf(id)).toBe("running");
  });

  it("replaces on purpose when the change itself sets whenPlayersConnected: end", async () => {
    const { id, outs, inputs } = await up("quarter");
    await env.control.connect(id, 2);
    const news = { ...inputs, region: "eu-west-1", whenPlayersConnected: "end" };
    expect((await fixture.host.check("quarter", inputs, news)).failures).toEqual([]);
    expect((await fixture.host.diff("quarter", id, outs, news)).replaces).toContain("region");
    expect(await refusal(fixture.host.delete("quarter", id, outs))).toBe("deleted");
  });

  it("drains: announces, waits for the players to leave, then deletes", async () => {
    const { id, outs } = await up("drained", {
      whenPlayersConnected: "drain",
      drainTimeoutSeconds: 20,
      drainAnnouncement: "Server closing",
    });
    expect(outs.whenPlayersConnected).toBe("drain");
    await env.control.connect(id, ["carol"]);
    const deleting = refusal(fixture.host.delete("drained", id, outs));
    await fixture.host.outputWith("draining: 1 player connected");
    await expect.poll(async () => (await env.client.logs.latest(id)).content).toContain("Console: Server closing");
    expect(await statusOf(id)).toBe("running");
    await env.control.disconnect(id, ["carol"]);
    expect(await deleting).toBe("deleted");
    expect(fixture.host.output).toMatch(/drained after \d+ s: no player connected/);
  });

  it("a drain that outlasts drainTimeoutSeconds fails and keeps the server", async () => {
    const { id, outs } = await up("stubborn", { whenPlayersConnected: "drain", drainTimeoutSeconds: 1 });
    await env.control.connect(id, ["dave"]);
    expect(await refusal(fixture.host.delete("stubborn", id, outs))).toMatch(
      /not deleting it: 1 player still connected after draining for 1 s \(drainTimeoutSeconds\)/,
    );
    expect(await statusOf(id)).toBe("running");
  });

  it("counts players that cannot be read as connected: a key without the console scope, a console refusing commands", async () => {
    const { id, outs } = await up("blind");
    const organization = (await env.client.gameServers.get(id)).organizationId;
    const noConsole = await env.control.key(organization, ["game-servers:read", "game-servers:write", "game-logs:read"]);
    await withHost({ "gameservers:apiKey": noConsole }, {}, async (host) => {
      expect(await refusal(host.delete("blind", id, outs))).toMatch(
        /not deleting it: whether players are connected cannot be read \(the API key lacks game-console:read_write, which reading players needs\)/,
      );
    });
    await env.control.fault({
      method: "POST",
      route: "/v1/hosting/game/console/:id/command",
      status: 403,
      code: "provider_permission_denied",
      message: "Console commands are disabled for this server",
    });
    expect(await refusal(fixture.host.delete("blind", id, outs))).toMatch(/cannot be read \(the server's console refuses commands\)/);
    expect(await statusOf(id)).toBe("running");
  });

  it("deletes a server that is not running without asking anything of a console", async () => {
    const { id, outs } = await up("idle");
    await env.control.stop(id);
    expect(await refusal(fixture.host.delete("idle", id, outs))).toBe("deleted");
  });

  it("gameservers:whenPlayersConnected lets a destroy end the matches on purpose, whatever the state says", async () => {
    const { id, outs } = await up("event");
    await env.control.connect(id, 4);
    await withHost({ "gameservers:whenPlayersConnected": "end" }, {}, async (host) => {
      expect(await refusal(host.delete("event", id, outs))).toBe("deleted");
    });
  });

  it("GAMESERVERS_WHEN_PLAYERS_CONNECTED=end does the same for one run", async () => {
    await withHost({}, { GAMESERVERS_WHEN_PLAYERS_CONNECTED: "end" }, async (host) => {
      const { id, outs } = await up("cup", {}, host);
      await env.control.connect(id, 2);
      expect(await refusal(host.delete("cup", id, outs))).toBe("deleted");
    });
  });

  it("refuses a bad guard setting in check, naming it", async () => {
    const { failures } = await fixture.host.check(
      "x",
      {},
      { ...args("x", { whenPlayersConnected: "kick", drainTimeoutSeconds: 0, drainAnnouncement: 'say "hi"; quit' }), __provider: provider },
    );
    expect(failures.map((f) => f.property).sort()).toEqual(["drainAnnouncement", "drainTimeoutSeconds", "whenPlayersConnected"]);
  });
});

describe("the live-match guard in the offline runner", () => {
  const env = useEmulator();

  const run = (config: Record<string, string> = {}) =>
    runOffline({
      apiUrl: env.emulator.url,
      apiKey: env.emulator.apiKey,
      cwd: ROOT,
      pollIntervalMs: 20,
      config,
      program: () => ({ id: new GameServer("scrim", { gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION }).id }),
    });

  it("destroy keeps a server with players connected and says so, never deleting it behind the provider's back", async () => {
    const offline = await run();
    const id = offline.outputs.id as string;
    await env.control.connect(id, ["alice"]);
    await expect(offline.destroy()).rejects.toThrow(
      /destroy left servers behind:\n {2}- scrim \(srv_[\w-]+\) is kept: .*not deleting it: 1 player connected/,
    );
    expect((await env.client.gameServers.get(id)).status).toBe("running");
    await env.client.gameServers.delete(id);
  });

  it("ends the match on purpose, or drains it, as gameservers:whenPlayersConnected says", async () => {
    const ended = await run({ "gameservers:whenPlayersConnected": "end" });
    await env.control.connect(ended.outputs.id as string, 2);
    await ended.destroy();
    expect((await env.client.gameServers.get(ended.outputs.id as string)).deletedAt).not.toBeNull();

    const drained = await run({ "gameservers:whenPlayersConnected": "drain" });
    const id = drained.outputs.id as string;
    await env.control.connect(id, ["bob"]);
    const destroying = drained.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await env.client.gameServers.get(id)).status).toBe("running");
    await env.control.disconnect(id, "all");
    await destroying;
    expect((await env.client.gameServers.get(id)).deletedAt).not.toBeNull();
  });
});
