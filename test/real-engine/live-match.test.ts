/**
 * The live-match guard through the real `pulumi` CLI, on the quickstart: a replacement and a
 * destroy refused while players are connected, said in the preview, drained when asked, and
 * done on purpose.
 */
import { describe, expect, it } from "vitest";
import { type RealStack, useRealEngine } from "./helpers.js";

const real = useRealEngine();

describe("a live match under the real engine", () => {
  let stack: RealStack;
  let serverId: string;

  it("a replacement of a server with players: the preview says so, pulumi up refuses and keeps it playing", async () => {
    stack = await real.stack("examples/quickstart", "event");
    await stack.up();
    serverId = (await real.live())[0]!.id;
    await real.control.connect(serverId, ["alice", "bob"]);
    await stack.config("region", "eu-west-1");
    const preview = await stack.ok(["preview"]);
    expect(preview.stdout + preview.stderr).toMatch(/2 players connected now: `pulumi up` refuses the replacement/);
    const up = await stack.run(["up", "--yes"]);
    expect(up.code).not.toBe(0);
    expect(up.stdout + up.stderr).toMatch(/not replacing it: 2 players connected, and replacing it would end their match/);
    // The match goes on where it was.
    const old = await real.client.gameServers.get(serverId);
    expect([old.status, old.region, old.deletedAt]).toEqual(["running", "eu-central-1", null]);
  });

  it("pulumi destroy refuses too, and GAMESERVERS_WHEN_PLAYERS_CONNECTED=drain waits for the match to end", async () => {
    const refused = await stack.run(["destroy", "--yes"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/not deleting it: 2 players connected/);
    expect((await real.client.gameServers.get(serverId)).status).toBe("running");
    let printed = "";
    let drainStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (drainStarted = resolve));
    const draining = stack.ok(["destroy", "--yes"], {
      env: { GAMESERVERS_WHEN_PLAYERS_CONNECTED: "drain" },
      onOutput: (text) => {
        printed += text;
        if (printed.includes("draining: 2 players connected")) drainStarted();
      },
    });
    // The players leave once the drain waits for them; the destroy then deletes the server.
    await started;
    expect((await real.client.gameServers.get(serverId)).status).toBe("running");
    await real.control.disconnect(serverId, "all");
    const destroyed = await draining;
    expect(destroyed.stdout + destroyed.stderr).toMatch(/drained after \d+ s: no player connected/);
    expect(await real.live()).toEqual([]);
  });

  it("gameservers:whenPlayersConnected end on purpose: a destroy sees it after the next pulumi up, and ends the match", async () => {
    await stack.config("region", "eu-central-1");
    await stack.up();
    const [server] = await real.live();
    await real.control.connect(server!.id, 3);
    await stack.ok(["config", "set", "gameservers:whenPlayersConnected", "end"]);
    // A destroy configures the provider from the state, where the last up recorded the config.
    const stale = await stack.run(["destroy", "--yes"]);
    expect(stale.stdout + stale.stderr).toMatch(/not deleting it: 3 players connected/);
    await stack.up();
    await stack.ok(["destroy", "--yes"]);
    expect(await real.live()).toEqual([]);
  });
});
