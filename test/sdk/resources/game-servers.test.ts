import { describe, expect, it } from "vitest";
import {
  APIUserAbortError,
  type GameServer,
  RequestValidationError,
  ServerFailedError,
  type WaitProgress,
  WaitTimeoutError,
} from "../../../sdk/index.js";
import { CS2_CONFIG, cs2, useEmulator } from "../../helpers/emulator.js";

describe("client.gameServers against the emulator", () => {
  const env = useEmulator();

  it("runs the seed's list() example", async () => {
    const response = await env.client.gameServers.list();
    expect(response).toEqual({ page: 1, pageSize: 20, total: 0, items: [] });
  });

  it("creates a server that is running at once when the region has capacity", async () => {
    const server = await env.client.gameServers.create(cs2("My CS2 Server"));
    expect(server).toMatchObject({
      name: "My CS2 Server",
      gameType: "cs2",
      region: "us-east-1",
      organizationId: "org_demo",
      status: "running",
      queuedAt: null,
      allocationAttempts: 0,
      rconPassword: "secure-rcon",
      serverPassword: null,
      autoStop: false,
      deletedAt: null,
    });
    expect(server.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(server.connectUrl).toBe(`steam://connect/${server.ip}:${server.port}`);
    expect(server.additionalPorts).toEqual({ rcon: server.port! + 1, sourcetv: server.port! + 5 });
    expect(server.configuration).not.toHaveProperty("rconPassword");
    expect(server.configuration.mapPool).toEqual(["de_dust2", "de_mirage"]);
  });

  it("gets a server by id and its lightweight status", async () => {
    const created = await env.client.gameServers.create(cs2("one"));
    const got = await env.client.gameServers.get(created.id);
    expect(got).toEqual(created);
    const status = await env.client.gameServers.getStatus(created.id);
    expect(status).toEqual({ id: created.id, status: "running", ip: created.ip, port: created.port, updatedAt: created.updatedAt });
  });

  it("paginates 1-indexed pages and iterates every page with for await", async () => {
    for (let i = 0; i < 5; i++) await env.client.gameServers.create(cs2(`s${i}`));
    const page2 = await env.client.gameServers.list({ page: 2, pageSize: 2 });
    expect(page2.total).toBe(5);
    expect(page2.items.map((s) => s.name)).toEqual(["s2", "s3"]);
    const names: string[] = [];
    for await (const server of env.client.gameServers.list({ pageSize: 2 })) names.push(server.name);
    expect(names).toEqual(["s0", "s1", "s2", "s3", "s4"]);
    const pages: number[] = [];
    for await (const page of env.client.gameServers.list({ pageSize: 2 }).pages()) pages.push(page.items.length);
    expect(pages).toEqual([2, 2, 1]);
    expect(await env.control.hits("GET /v1/game-servers")).toBe(1 + 3 + 3);
  });

  it("queues a server without capacity and waitForServer follows it from pending to running", async () => {
    await env.control.config({ capacity: { "eu-west-1": 0 } });
    const server = await env.client.gameServers.create(cs2("queued", "eu-west-1"));
    expect(server.status).toBe("pending");
    expect(server.queuedAt).not.toBeNull();
    const progress: WaitProgress[] = [];
    let polls = 0;
    const ready = await env.client.gameServers.waitForServer(server.id, 5000, {
      onProgress: (p) => {
        progress.push(p);
        // Capacity frees up after the second poll; the allocation job runs once.
        if (++polls === 2) void env.control.config({ capacity: { "eu-west-1": 1 } }).then(() => env.control.tick());
      },
    });
    expect(ready.status).toBe("running");
    expect(ready.ip).not.toBeNull();
    expect(ready.allocationAttempts).toBe(1);
    expect(progress[0]).toMatchObject({ serverId: server.id, status: "pending", previousStatus: undefined, attempts: 1 });
    expect(progress.at(-1)).toMatchObject({ status: "running", previousStatus: "pending" });
    expect(env.clock.slept.every((ms) => ms === 5000)).toBe(true);
  });

  it("waitForServer throws ServerFailedError with the allocation error after 3 failed attempts", async () => {
    await env.control.config({ capacity: { "eu-west-1": 0 } });
    const server = await env.client.gameServers.create(cs2("doomed", "eu-west-1"));
    let ticks = 0;
    const error = await env.client.gameServers
      .waitForServer(server.id, 1000, {
        onProgress: () => {
          if (ticks++ < 3) void env.control.tick();
        },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerFailedError);
    const failed = error as ServerFailedError;
    expect(failed.status).toBe("failed");
    expect(failed.allocationAttempts).toBe(3);
    expect(failed.lastAllocationError).toMatch(/No capacity available in eu-west-1/);
    expect(failed.message).toMatch(/is failed after 3 allocation attempts: No capacity/);
  });

  it("create with { wait: true } blocks until the server is running", async () => {
    await env.control.config({ capacity: { "us-west-2": 0 } });
    let polls = 0;
    const server = await env.client.gameServers.create(cs2("blocking", "us-west-2"), {
      wait: true,
      pollInterval: 5000,
      onProgress: () => {
        if (++polls === 1) void env.control.config({ capacity: { "us-west-2": 5 } }).then(() => env.control.tick());
      },
    });
    expect(server.status).toBe("running");
  });

  it("waitForServer gives up at its deadline with WaitTimeoutError", async () => {
    await env.control.config({ capacity: { "eu-west-1": 0 } });
    const server = await env.client.gameServers.create(cs2("stuck", "eu-west-1"));
    const error = await env.client.gameServers.waitForServer(server.id, 1000, { deadline: Date.now() + 500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as WaitTimeoutError).lastStatus).toBe("pending");
  });

  it("waitForServer stops when its signal aborts", async () => {
    await env.control.config({ capacity: { "eu-west-1": 0 } });
    const server = await env.client.gameServers.create(cs2("aborted", "eu-west-1"));
    const controller = new AbortController();
    const error = await env.client.gameServers
      .waitForServer(server.id, 1000, { signal: controller.signal, onProgress: () => controller.abort() })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIUserAbortError);
  });

  it("walks allocating and starting before running when boot takes time", async () => {
    await env.control.config({ bootDelayMs: 200 });
    const server = await env.client.gameServers.create(cs2("booting"));
    expect(server.status).toBe("allocating");
    const seen = new Set<string>();
    const real = new (await import("../../../sdk/index.js")).GameServersClient({ apiKey: env.emulator.apiKey, baseUrl: env.emulator.url });
    const ready = await real.gameServers.waitForServer(server.id, 20, { onProgress: (p) => seen.add(p.status) });
    await real.close();
    expect(ready.status).toBe("running");
    expect([...seen]).toEqual(["allocating", "starting", "running"]);
  });

  it("updates name and merges a partial configuration", async () => {
    const server = await env.client.gameServers.create(cs2("before"));
    const updated = await env.client.gameServers.update(server.id, { name: "Updated Server Name", configuration: { maxPlayers: 12 } });
    expect(updated.name).toBe("Updated Server Name");
    expect(updated.configuration).toMatchObject({ maxPlayers: 12, tickrate: 128, startingMap: "de_dust2" });
    expect(updated.rconPassword).toBe("secure-rcon");
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(server.updatedAt));
  });

  it("deletes softly: { ok: true }, deletedAt set, hidden from list unless asked", async () => {
    const server = await env.client.gameServers.create(cs2("doomed"));
    expect(await env.client.gameServers.delete(server.id)).toEqual({ ok: true });
    const got = await env.client.gameServers.get(server.id);
    expect(got.deletedAt).not.toBeNull();
    expect(got.deletedBy).toBe("key_demo");
    expect((await env.client.gameServers.list()).total).toBe(0);
    expect((await env.client.gameServers.list({ includeDeleted: true })).total).toBe(1);
    expect((await env.client.gameServers.list({ onlyDeleted: true })).items.map((s) => s.id)).toEqual([server.id]);
  });

  it("lists provisioning events since a time", async () => {
    const before = new Date(Date.now() - 1000);
    await env.control.config({ capacity: { "eu-west-1": 0 } });
    const queued = await env.client.gameServers.create(cs2("late", "eu-west-1"));
    await env.control.config({ capacity: { "eu-west-1": 1 } });
    await env.control.tick();
    const { events } = await env.client.gameServers.events({ since: before });
    const mine = events.filter((e) => e.serverId === queued.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ eventType: "provisioning_completed", eventData: { status: "running", allocationAttempts: 1 } });
    expect((await env.client.gameServers.events({ since: new Date(Date.now() + 60_000) })).events).toEqual([]);
  });

  describe("local validation (nothing is sent)", () => {
    it("rejects a bad create and names each field", async () => {
      const bad = { ...cs2("bad"), configuration: { ...CS2_CONFIG, startingMap: "de_inferno", tickrate: 100 } };
      const error = await env.client.gameServers.create(bad as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RequestValidationError);
      const paths = (error as RequestValidationError).issues.map((i) => i.path);
      expect(paths).toContain("configuration.tickrate");
      expect(paths).toContain("configuration.startingMap");
      expect((error as Error).message).toMatch(/configuration\.startingMap must be one of mapPool \(de_dust2, de_mirage\)/);
      expect(await env.control.hits("POST /v1/game-servers")).toBe(0);
    });

    it("rejects a missing field, a bad region and an unknown field", async () => {
      const { rconPassword: _, ...noRcon } = CS2_CONFIG;
      const error = (await env.client.gameServers
        .create({ ...cs2("x", "moon-1"), configuration: noRcon, extra: 1 } as never)
        .catch((e: unknown) => e)) as RequestValidationError;
      const paths = error.issues.map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(["region", "configuration.rconPassword"]));
      expect(error.message).toMatch(/extra/);
    });

    it("passes other game types' configuration through", async () => {
      const server = await env.client.gameServers.create({
        name: "mc",
        gameType: "minecraft",
        region: "eu-central-1",
        configuration: { motd: "hi", difficulty: "hard" },
      });
      expect(server.configuration).toEqual({ motd: "hi", difficulty: "hard" });
      expect(server.rconPassword).toMatch(/.{8,}/);
    });

    it("rejects a server id that is not a safe path segment", async () => {
      await expect(env.client.gameServers.get("../../etc")).rejects.toThrow(/gameServers\.get: id must be a server id/);
      await expect(env.client.gameServers.list({ pageSize: 500 })).rejects.toThrow(RequestValidationError);
    });

    it("rejects a bad update field before sending", async () => {
      await expect(env.client.gameServers.update("srv_1", { autostopMinutes: 0 })).rejects.toThrow(/autostopMinutes/);
    });
  });

  it("returns typed results a program can rely on", async () => {
    const server: GameServer = await env.client.gameServers.create(cs2("typed"));
    const status: string = server.status;
    expect(status).toBe("running");
  });
});
