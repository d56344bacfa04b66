/**
 * examples/tournament through the real `pulumi` CLI: a GameServerFleet from tournament.yaml and
 * one ServerCommand per match server. Up, a match added, a default changed (previewed, then
 * applied in place), destroy; each step checked on the API, in the state and in what the CLI printed.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { GameServer } from "../../sdk/index.js";
import { idsInState, type RealStack, useRealEngine } from "./helpers.js";

const real = useRealEngine();

const JOIN_PASSWORD = "winter-cup-join";

/** One entry of the `roster` stack output. */
interface RosterEntry {
  name: string;
  region: string;
  status: string;
  connectUrl: string | null;
  ip: string | null;
  port: number | null;
  serverPassword: string | null;
  rconPassword: string | null;
}

/** The servers each part's plan line says it updates (`updates groups-1 (configuration), ...`). */
function plannedUpdates(printed: string): string[] {
  const keys: string[] = [];
  for (const [, list] of printed.matchAll(/GameServerFleet "winter-cup": updates (.*?); every other server is left alone/g))
    for (const [, key] of list!.matchAll(/([a-z0-9-]+) \(configuration\)/g)) keys.push(key!);
  return keys.sort();
}

/** The API's writes of game servers so far, by kind. */
async function serverWrites(): Promise<{ posts: number; patches: number; deletes: number }> {
  const { byRoute } = (await real.control.stats()).requests;
  return {
    posts: byRoute["POST /v1/game-servers"] ?? 0,
    patches: byRoute["PATCH /v1/game-servers/:id"] ?? 0,
    deletes: byRoute["DELETE /v1/game-servers/:id"] ?? 0,
  };
}

/** The API's view of the servers: id, name and when each last changed. */
function snapshot(servers: GameServer[]) {
  return servers.map((s) => ({ id: s.id, name: s.name, updatedAt: s.updatedAt })).sort((a, b) => a.id.localeCompare(b.id));
}

describe("the tournament example under the real engine", () => {
  let stack: RealStack;
  let definition: string;

  /** Rewrites the copy's tournament.yaml (the program reads it on every run). */
  function edit(change: (yaml: string) => string): void {
    writeFileSync(definition, change(readFileSync(definition, "utf8")));
  }

  it("pulumi up runs one server per match, and the roster output is what the API holds", async () => {
    stack = await real.stack("examples/tournament", "winter-cup");
    definition = path.join(stack.project.dir, "tournament.yaml");
    await stack.config("tournament:serverPassword", JOIN_PASSWORD, true);
    const up = await stack.up();
    expect(up.stdout).toMatch(/GameServerFleet "winter-cup": all 7 running/);
    const live = await real.live();
    expect(live.map((s) => s.status)).toEqual(Array(7).fill("running"));
    const outputs = await stack.outputs();
    expect(outputs.serverCount).toBe(7);
    const roster = outputs.roster as Record<string, RosterEntry>;
    expect(Object.keys(roster).sort()).toEqual(["final-1", "groups-1", "groups-2", "groups-3", "groups-4", "playoffs-1", "playoffs-2"]);
    for (const [key, entry] of Object.entries(roster)) {
      const server = live.find((s) => s.name === entry.name);
      expect(server, key).toBeDefined();
      expect(entry, key).toEqual({
        name: server!.name,
        region: server!.region,
        status: "running",
        connectUrl: server!.connectUrl,
        ip: server!.ip,
        port: server!.port,
        serverPassword: JOIN_PASSWORD,
        rconPassword: server!.rconPassword,
      });
    }
    expect(roster["final-1"]!.region).toBe("eu-central-1");
    expect(idsInState(await stack.state())).toEqual(live.map((s) => s.id).sort());
  });

  it("each match server's console got its ready commands once", async () => {
    expect(await real.control.hits("POST /v1/hosting/game/console/:id/command")).toBe(14);
    const roster = (await stack.outputs()).roster as Record<string, RosterEntry>;
    for (const server of await real.live()) {
      const key = Object.keys(roster).find((k) => roster[k]!.name === server.name)!;
      const map = key === "final-1" ? "de_inferno" : "de_mirage";
      const { content } = await real.client.logs.latest(server.id);
      expect(content.match(/> say .*/g), key).toEqual([`> say winter-cup ${key}: server ready on ${map}`]);
      expect(content.match(/> changelevel .*/g), key).toEqual([`> changelevel ${map}`]);
    }
  });

  it("a match added to tournament.yaml: pulumi up creates that one server and touches no other", async () => {
    const before = snapshot(await real.live());
    const { posts, patches, deletes } = await serverWrites();
    edit((yaml) => yaml.replace(/(- name: groups\n\s+matches:) 4/, "$1 5"));
    const up = await stack.up();
    expect(up.stdout).toMatch(/GameServerFleet "winter-cup": 1 server created \(groups-5\)/);
    expect(await serverWrites()).toEqual({ posts: posts + 1, patches, deletes });
    const after = await real.live();
    const added = after.filter((s) => !before.some((b) => b.id === s.id));
    expect(added.map((s) => [s.name.replace(/-[0-9a-f]{7}$/, ""), s.status])).toEqual([["winter-cup-groups-5", "running"]]);
    // The seven others: same ids, names, and not a single change since.
    expect(snapshot(after.filter((s) => s !== added[0]))).toEqual(before);
    expect(idsInState(await stack.state())).toEqual(after.map((s) => s.id).sort());
    expect((await stack.outputs()).serverCount).toBe(8);
  });

  it("a default changed: pulumi preview --diff names the servers that inherit it, and sends no write", async () => {
    edit((yaml) => yaml.replace(/^(\s+freezeTime:) 15$/m, "$1 18"));
    const writes = await real.writes();
    const preview = await stack.ok(["preview", "--diff"]);
    // With --diff the CLI prints the provider host's lines on stderr (without it, on stdout).
    const printed = preview.stdout + preview.stderr;
    // The provider's plan lines (one per part that changes): every server that inherits
    // freezeTime, none of the playoffs (they override it).
    expect(plannedUpdates(printed)).toEqual(["final-1", "groups-1", "groups-2", "groups-3", "groups-4", "groups-5"]);
    expect(printed).not.toMatch(/playoffs-\d \(/);
    // The engine's own diff of the parts' inputs: the same six servers, each freezeTime 15 => 18.
    expect(printed.match(/~ freezeTime\s*: 15 => 18/g)).toHaveLength(6);
    expect(await real.writes()).toBe(writes);
  });

  it("pulumi up applies it in place: one PATCH per server that inherits it, none replaced", async () => {
    const before = await real.live();
    const { posts, patches, deletes } = await serverWrites();
    const commands = await real.control.hits("POST /v1/hosting/game/console/:id/command");
    const up = await stack.up();
    expect(up.stdout).toMatch(/~ 5 updated/);
    expect(up.stdout).not.toMatch(/replaced/);
    // The servers are the same, so their ServerCommands are unchanged: nothing is sent again.
    expect(await real.control.hits("POST /v1/hosting/game/console/:id/command")).toBe(commands);
    expect(await serverWrites()).toEqual({ posts, patches: patches + 6, deletes });
    const after = await real.live();
    expect(after.map((s) => s.id).sort()).toEqual(before.map((s) => s.id).sort());
    const freezeTimes = Object.fromEntries(
      after.map((s) => [s.name.replace(/^winter-cup-|-[0-9a-f]{7}$/g, ""), (s.configuration as { freezeTime: number }).freezeTime]),
    );
    expect(freezeTimes).toEqual({
      "final-1": 18,
      "groups-1": 18,
      "groups-2": 18,
      "groups-3": 18,
      "groups-4": 18,
      "groups-5": 18,
      "playoffs-1": 20,
      "playoffs-2": 20,
    });
    // The playoffs' servers were not touched at all.
    for (const s of after.filter((s) => s.name.includes("-playoffs-")))
      expect(s.updatedAt).toBe(before.find((b) => b.id === s.id)!.updatedAt);
  });

  it("pulumi destroy deletes every server and leaves nothing in the state", async () => {
    await stack.ok(["destroy", "--yes"]);
    expect(await real.live()).toEqual([]);
    expect((await stack.state()).deployment.resources ?? []).toEqual([]);
  });
});
