/**
 * Refresh and taking servers over under the real engine: `preview --refresh` and `up --refresh`
 * of a fleet with a server deleted outside Pulumi, Pulumi's `import` option, and adoptServerId.
 */
import { describe, expect, it } from "vitest";
import { CS2_CONFIG } from "../helpers/emulator.js";
import { expectEachServerOnce, idsInState, type RealStack, tournament, useRealEngine } from "./helpers.js";

const real = useRealEngine();

describe("a fleet refreshed by the real engine", () => {
  let stack: RealStack;

  it("preview --refresh shows the server deleted outside Pulumi as created again, and writes nothing", async () => {
    stack = await real.stack("examples/tournament", "dev", { files: { "tournament.yaml": tournament(6) } });
    await stack.up();
    const [gone] = await real.live();
    await real.client.gameServers.delete(gone!.id);
    const before = await real.writes();
    const preview = await stack.ok(["preview", "--refresh"]);
    expect(preview.stdout).toMatch(/creates groups-\d/);
    expect(await real.writes()).toBe(before);
    // A preview never writes the state either: the deleted server is still held.
    expect(idsInState(await stack.state())).toContain(gone!.id);
  });

  it("up --refresh creates that server again, once, and touches no other", async () => {
    const others = (await real.live()).map((s) => [s.id, s.updatedAt]);
    const posts = await real.control.hits("POST /v1/game-servers");
    await stack.up(["--refresh"]);
    expect(await real.control.hits("POST /v1/game-servers")).toBe(posts + 1);
    const live = await real.live();
    expect(live).toHaveLength(6);
    for (const [id, updatedAt] of others) expect(live.find((s) => s.id === id)?.updatedAt).toBe(updatedAt);
    await expectEachServerOnce(real, [stack]);
    await stack.ok(["destroy", "--yes"]);
    expect(await real.live()).toEqual([]);
  });
});

describe("taking over a server made outside Pulumi, under the real engine", () => {
  let stack: RealStack;
  let existing: string;

  it("Pulumi's import option is refused before any request, pointing at adoptServerId", async () => {
    const made = await real.client.gameServers.create({
      name: "walk-in",
      gameType: "cs2",
      region: "us-east-1",
      configuration: { ...CS2_CONFIG, mapPool: ["de_dust2"], tournamentMode: false },
    });
    existing = made.id;
    stack = await real.stack("test/real-engine/fixtures/adopt", "dev");
    await stack.config("serverId", existing);
    await stack.config("how", "import");
    const before = await real.writes();
    const up = await stack.run(["up", "--yes"]);
    expect(up.code).not.toBe(0);
    expect(up.stdout).toMatch(/import` resource option cannot take over a server .*pulumi\/pulumi#16175.*adoptServerId/s);
    expect(up.stdout).not.toMatch(/code must be a string/);
    expect(await real.writes()).toBe(before);
    expect((await real.client.gameServers.get(existing)).name).toBe("walk-in");
  });

  it("adoptServerId takes the server into the stack with the declared settings, creating nothing", async () => {
    await stack.config("how", "adoptServerId");
    const posts = await real.control.hits("POST /v1/game-servers");
    await stack.up();
    expect(await real.control.hits("POST /v1/game-servers")).toBe(posts);
    expect(idsInState(await stack.state())).toEqual([existing]);
    const server = await real.client.gameServers.get(existing);
    expect([server.name, server.configuration.mapPool]).toEqual([
      "adopted-match",
      ["de_dust2", "de_inferno", "de_mirage", "de_nuke", "de_overpass", "de_ancient", "de_anubis"],
    ]);
    // Adopted means managed: destroy deletes it.
    await stack.ok(["destroy", "--yes"]);
    expect(await real.live()).toEqual([]);
  });
});
