/**
 * The quickstart through the real `pulumi` CLI: preview, up, a no-op up, refresh after an
 * out-of-band delete, the recreate, replacements in both orders, a rename, destroy.
 */
import { describe, expect, it } from "vitest";
import type { GameServer } from "../../sdk/index.js";
import { type RealStack, serverIds, useRealEngine } from "./helpers.js";

const real = useRealEngine();

/** Every server the organization ever had (deleted ones too), oldest first. */
async function history(): Promise<GameServer[]> {
  const all: GameServer[] = [];
  for await (const s of real.client.gameServers.list({ pageSize: 100, includeDeleted: true })) all.push(s);
  return all.sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
}

/** The replacement's order from the API's own timestamps: the old server's deletion against the new one's creation. */
function order(old: GameServer, replacement: GameServer): "create-before-delete" | "delete-before-create" {
  return Date.parse(old.deletedAt!) <= Date.parse(replacement.createdAt) ? "delete-before-create" : "create-before-delete";
}

describe("quickstart under the real engine", () => {
  let stack: RealStack;

  it("pulumi preview shows one server to create and sends no write to the API", async () => {
    stack = await real.stack("examples/quickstart", "dev");
    await stack.config("joinPassword", "quickstart-join", true);
    const before = await real.writes();
    const preview = await stack.ok(["preview"]);
    expect(preview.stdout).toMatch(/\+\s+pulumi-nodejs:dynamic\/gameservers:GameServer\s+scrim\s+create/);
    expect(preview.stdout).toMatch(/\+ 2 to create/);
    expect(await real.writes()).toBe(before);
    expect(await real.live()).toEqual([]);
  });

  it("pulumi up returns with the server running, and the stack's outputs are the API's", async () => {
    const up = await stack.up();
    expect(up.stdout).toMatch(/\+ 2 created/);
    const [server] = await real.live();
    expect(server?.status).toBe("running");
    const outputs = await stack.outputs();
    expect(outputs.connectUrl).toBe(server!.connectUrl);
    expect(outputs.address).toBe(`${server!.ip}:${server!.port}`);
    expect(serverIds(await stack.resources("GameServer"))).toEqual([server!.id]);
  });

  it("pulumi up of the unchanged program changes nothing and sends no write", async () => {
    const before = await real.writes();
    const up = await stack.up();
    expect(up.stdout).toMatch(/2 unchanged/);
    expect(await real.writes()).toBe(before);
  });

  it("pulumi refresh drops a server deleted outside Pulumi; the next up creates it once", async () => {
    const [server] = await real.live();
    await real.client.gameServers.delete(server!.id);
    const refresh = await stack.ok(["refresh", "--yes"]);
    expect(refresh.stdout).toMatch(/scrim\s+deleted/);
    expect(await stack.resources("GameServer")).toEqual([]);
    const posts = await real.control.hits("POST /v1/game-servers");
    await stack.up();
    expect(await real.control.hits("POST /v1/game-servers")).toBe(posts + 1);
    const live = await real.live();
    expect(live).toHaveLength(1);
    expect(serverIds(await stack.resources("GameServer"))).toEqual([live[0]!.id]);
  });

  it("a region change replaces an auto-named server create-before-delete", async () => {
    const [old] = await real.live();
    await stack.config("region", "eu-west-1");
    const up = await stack.up();
    expect(up.stdout).toMatch(/\+-\s+pulumi-nodejs:dynamic\/gameservers:GameServer\s+scrim\s+replaced/);
    const live = await real.live();
    expect(live.map((s) => s.region)).toEqual(["eu-west-1"]);
    const all = await history();
    const [before, after] = [all.find((s) => s.id === old!.id)!, all.find((s) => s.id === live[0]!.id)!];
    expect(order(before, after)).toBe("create-before-delete");
  });

  it("pulumi destroy deletes the server and leaves nothing", async () => {
    await stack.ok(["destroy", "--yes"]);
    expect(await real.live()).toEqual([]);
    expect(await stack.resources("GameServer")).toEqual([]);
  });
});

describe("a server with a fixed name under the real engine", () => {
  let stack: RealStack;

  it("a rename is an update in place: same server, one PATCH", async () => {
    stack = await real.stack("test/real-engine/fixtures/named", "dev");
    await stack.config("serverName", "cup-final");
    await stack.up();
    const [server] = await real.live();
    expect(server?.name).toBe("cup-final");
    const patches = await real.control.hits("PATCH /v1/game-servers/:id");
    await stack.config("serverName", "cup-grand-final");
    const up = await stack.up();
    expect(up.stdout).toMatch(/~\s+pulumi-nodejs:dynamic\/gameservers:GameServer\s+match\s+updated/);
    const live = await real.live();
    expect(live.map((s) => [s.id, s.name])).toEqual([[server!.id, "cup-grand-final"]]);
    expect(await real.control.hits("PATCH /v1/game-servers/:id")).toBe(patches + 1);
  });

  it("a region change replaces it delete-before-create: old and new cannot share the name", async () => {
    const [old] = await real.live();
    await stack.config("region", "us-east-1");
    const up = await stack.up();
    expect(up.stdout).toMatch(/\+-\s+pulumi-nodejs:dynamic\/gameservers:GameServer\s+match\s+replaced/);
    const live = await real.live();
    expect(live.map((s) => [s.name, s.region])).toEqual([["cup-grand-final", "us-east-1"]]);
    const all = await history();
    expect(order(all.find((s) => s.id === old!.id)!, all.find((s) => s.id === live[0]!.id)!)).toBe("delete-before-create");
    await stack.ok(["destroy", "--yes"]);
    expect(await real.live()).toEqual([]);
  });
});
