import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { startEmulator } from "../../../sdk/emulator/index.js";
import { CS2_CONFIG, cs2, useEmulator } from "../../helpers/emulator.js";

/** Raw calls: the emulator's wire format itself, not the SDK's reading of it. */
function raw(url: string, apiKey: string) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
}

describe("emulator: allocation job", () => {
  const env = useEmulator();

  it("retries a queued server on every run and fails it after 3 attempts with events", async () => {
    await env.control.config({ capacity: { "ap-south-1": 0 } });
    const since = new Date(Date.now() - 1000);
    const server = await env.client.gameServers.create(cs2("q", "ap-south-1"));
    expect(server).toMatchObject({ status: "pending", allocationAttempts: 0, lastAllocationError: null });
    expect(await env.control.tick()).toEqual({ allocated: 0, failed: 0, pending: 1 });
    expect(await env.client.gameServers.get(server.id)).toMatchObject({
      status: "pending",
      allocationAttempts: 1,
      lastAllocationError: "No capacity available in ap-south-1 (attempt 1 of 3)",
    });
    expect((await env.client.gameServers.getStatus(server.id)).lastError).toMatch(/attempt 1 of 3/);
    await env.control.tick();
    expect(await env.control.tick()).toEqual({ allocated: 0, failed: 1, pending: 0 });
    const failed = await env.client.gameServers.get(server.id);
    expect(failed).toMatchObject({ status: "failed", allocationAttempts: 3, ip: null });
    expect(await env.control.tick()).toEqual({ allocated: 0, failed: 0, pending: 0 });
    const { events } = await env.client.gameServers.events({ since });
    expect(events).toEqual([
      expect.objectContaining({
        serverId: server.id,
        eventType: "provisioning_failed",
        eventData: expect.objectContaining({ allocationAttempts: 3 }),
      }),
    ]);
  });

  it("allocates queued servers oldest first as capacity frees up", async () => {
    await env.control.config({ capacity: { "ap-south-1": 1 } });
    const first = await env.client.gameServers.create(cs2("first", "ap-south-1"));
    const a = await env.client.gameServers.create(cs2("a", "ap-south-1"));
    const b = await env.client.gameServers.create(cs2("b", "ap-south-1"));
    expect([first.status, a.status, b.status]).toEqual(["running", "pending", "pending"]);
    await env.client.gameServers.delete(first.id);
    expect(await env.control.tick()).toEqual({ allocated: 1, failed: 0, pending: 1 });
    expect((await env.client.gameServers.get(a.id)).status).toBe("running");
    expect((await env.client.gameServers.get(b.id)).status).toBe("pending");
  });

  it("runs the job on its own every queueIntervalMs", async () => {
    await env.control.config({ capacity: { "ap-south-1": 0 }, queueIntervalMs: 20 });
    const server = await env.client.gameServers.create(cs2("auto", "ap-south-1"));
    await env.control.config({ capacity: { "ap-south-1": 1 } });
    let status = "pending";
    for (let i = 0; i < 100 && status !== "running"; i++) {
      await sleep(10);
      status = (await env.client.gameServers.getStatus(server.id)).status;
    }
    expect(status).toBe("running");
  });

  it("counts only live allocations against capacity; soft delete frees the slot", async () => {
    await env.control.config({ capacity: { "sa-east-1": 1 } });
    const one = await env.client.gameServers.create(cs2("one", "sa-east-1"));
    expect((await env.client.gameServers.create(cs2("two", "sa-east-1"))).status).toBe("pending");
    await env.client.gameServers.delete(one.id);
    expect((await env.client.gameServers.create(cs2("three", "sa-east-1"))).status).toBe("running");
  });

  it("gives distinct addresses to servers", async () => {
    const servers = await Promise.all(Array.from({ length: 20 }, (_, i) => env.client.gameServers.create(cs2(`s${i}`))));
    expect(new Set(servers.map((s) => `${s.ip}:${s.port}`)).size).toBe(20);
  });
});

describe("emulator: events", () => {
  const env = useEmulator();

  it("defaults to the last minute and rejects a bad since", async () => {
    await env.client.gameServers.create(cs2("fresh"));
    const { events } = await env.client.gameServers.events();
    expect(events.map((e) => e.eventType)).toEqual(["provisioning_completed"]);
    const call = raw(env.emulator.url, env.emulator.apiKey);
    const bad = await call("GET", "/v1/game-servers/events?since=yesterday");
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: "INVALID_PARAMS", details: [{ path: "since" }] });
  });

  it("shows an organization only its own events", async () => {
    await env.client.gameServers.create(cs2("mine"));
    const rival = env.clientWith(await env.control.key("org_rival", ["game-servers:read"]));
    expect((await rival.gameServers.events()).events).toEqual([]);
  });
});

describe("emulator: lifecycle rules", () => {
  const env = useEmulator();

  it("answers a second delete with 404 and refuses to update a deleted server", async () => {
    const server = await env.client.gameServers.create(cs2("gone"));
    await env.client.gameServers.delete(server.id);
    await expect(env.client.gameServers.delete(server.id)).rejects.toMatchObject({ status: 404, code: "NOT_FOUND" });
    await expect(env.client.gameServers.update(server.id, { name: "x" })).rejects.toMatchObject({ status: 404 });
  });

  it("keeps soft-deleted servers readable by id with deletedAt and deletedBy", async () => {
    const server = await env.client.gameServers.create(cs2("gone"));
    const key = await env.control.key("org_demo", ["game-servers:write"]);
    await env.clientWith(key).gameServers.delete(server.id);
    const got = await env.client.gameServers.get(server.id);
    expect(got.deletedAt).not.toBeNull();
    expect(got.deletedBy).toMatch(/^key_/);
    expect(got.deletedBy).not.toBe("key_demo");
    expect(got.ip).toBeNull();
  });

  it("stops an idle autoStop server after autostopMinutes on the scaled clock", async () => {
    const server = await env.client.gameServers.create({ ...cs2("idle"), autoStop: true, autostopMinutes: 1 });
    const busy = await env.client.gameServers.create({ ...cs2("busy"), autoStop: false });
    expect(server.autostopMinutes).toBe(1);
    await env.control.config({ clockScale: 600 }); // 1 real second = 10 emulated minutes
    await sleep(150);
    expect((await env.client.gameServers.get(server.id)).status).toBe("stopped");
    expect((await env.client.gameServers.get(busy.id)).status).toBe("running");
    expect((await env.client.logs.latest(server.id)).content).toMatch(/stopped after 1 idle minutes/);
  });

  it("stops a running server on demand through the control route, as autoStop does", async () => {
    const server = await env.client.gameServers.create({ ...cs2("on-demand"), autoStop: true, autostopMinutes: 45 });
    const other = await env.client.gameServers.create(cs2("other"));
    const res = await env.control.call<{ status: string; connectUrl: string | null }>("POST", `/_emulator/servers/${server.id}/stop`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "stopped", connectUrl: null });
    const got = await env.client.gameServers.get(server.id);
    expect(got).toMatchObject({ status: "stopped", ip: null, port: null, connectUrl: null, additionalPorts: null, deletedAt: null });
    expect(Date.parse(got.updatedAt)).toBeGreaterThanOrEqual(Date.parse(server.updatedAt));
    expect((await env.client.gameServers.get(other.id)).status).toBe("running");
    expect((await env.client.logs.latest(server.id)).content).toMatch(/Server stopped after 45 idle minutes \(autoStop\)/);
    // Only a running server can be stopped; an unknown one is not found.
    expect((await env.control.call("POST", `/_emulator/servers/${server.id}/stop`)).status).toBe(409);
    expect((await env.control.call("POST", "/_emulator/servers/srv_nope/stop")).status).toBe(404);
  });

  it("defaults autostopMinutes to 30 when autoStop is enabled without it", async () => {
    const server = await env.client.gameServers.create({ ...cs2("auto"), autoStop: true });
    expect(server.autostopMinutes).toBe(30);
  });

  it("refuses an organizationId that is not the key's", async () => {
    await expect(env.client.gameServers.create({ ...cs2("x"), organizationId: "org_other" })).rejects.toMatchObject({ status: 403 });
    expect((await env.client.gameServers.create({ ...cs2("x"), organizationId: "org_demo" })).organizationId).toBe("org_demo");
  });

  it("keeps passwords out of the configuration it echoes", async () => {
    const server = await env.client.gameServers.create({ ...cs2("pw"), configuration: { ...CS2_CONFIG, serverPassword: "letmein" } });
    expect(server.serverPassword).toBe("letmein");
    expect(JSON.stringify(server.configuration)).not.toMatch(/letmein|secure-rcon/);
  });
});

describe("emulator: wire format and routing", () => {
  const env = useEmulator();

  it("sets a request id on every response, errors and control routes included", async () => {
    const call = raw(env.emulator.url, env.emulator.apiKey);
    for (const res of [await call("GET", "/v1/game-servers"), await call("GET", "/nope"), await call("GET", "/_emulator/stats")]) {
      expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    }
  });

  it("answers unknown routes 404 and wrong methods 405 in the game servers format", async () => {
    const call = raw(env.emulator.url, env.emulator.apiKey);
    expect(await call("GET", "/v2/things")).toMatchObject({
      status: 404,
      body: { statusCode: 404, code: "NOT_FOUND", message: "Endpoint not found" },
    });
    const wrong = await call("PUT", "/v1/game-servers/srv_1");
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, PATCH, DELETE");
  });

  it("answers an unknown route 404 with the documents' message: Endpoint not found, in each family's format", async () => {
    const call = raw(env.emulator.url, env.emulator.apiKey);
    expect(await call("GET", "/v1/hosting/game/logs/srv_1/oldest")).toMatchObject({
      status: 404,
      body: { success: false, error: "not_found", message: "Endpoint not found" },
    });
    expect((await call("GET", "/v1/game-servers/srv_1/players")).body).toEqual({
      statusCode: 404,
      code: "NOT_FOUND",
      message: "Endpoint not found",
    });
    expect((await call("POST", "/_emulator/nothing")).body).toMatchObject({ code: "NOT_FOUND", message: "Endpoint not found" });
    // A known route's unknown server still names the server.
    expect((await call("GET", "/v1/hosting/game/logs/srv_missing/latest")).body).toMatchObject({
      error: "not_found",
      message: expect.stringContaining("srv_missing"),
    });
  });

  it("validates the list query: pageSize at most 100, booleans spelled true/false, nothing unknown", async () => {
    const call = raw(env.emulator.url, env.emulator.apiKey);
    expect((await call("GET", "/v1/game-servers?pageSize=101")).body).toMatchObject({
      details: [{ path: "pageSize", message: "must be at most 100" }],
    });
    expect((await call("GET", "/v1/game-servers?includeDeleted=yes")).status).toBe(400);
    expect((await call("GET", "/v1/game-servers?page=0")).status).toBe(400);
    expect((await call("GET", "/v1/game-servers?colour=red")).status).toBe(400);
    expect((await call("GET", "/v1/game-servers?page=2&pageSize=100")).body).toMatchObject({ page: 2, pageSize: 100, total: 0 });
  });

  it("reports invalid JSON and an unknown body field as INVALID_PARAMS", async () => {
    const res = await fetch(`${env.emulator.url}/v1/game-servers`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.emulator.apiKey}`, "content-type": "application/json" },
      body: "{",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ statusCode: 400, code: "INVALID_PARAMS", message: "Request body is not valid JSON" });
    const call = raw(env.emulator.url, env.emulator.apiKey);
    const extra = await call("POST", "/v1/game-servers", { ...cs2("x"), colour: "red" });
    expect(extra.status).toBe(400);
    expect(extra.body.message).toMatch(/colour/);
  });

  it("requires a Bearer key on API routes and none on control routes", async () => {
    expect((await fetch(`${env.emulator.url}/v1/game-servers`)).status).toBe(401);
    expect((await fetch(`${env.emulator.url}/_emulator/stats`)).status).toBe(200);
  });
});

describe("emulator: control routes", () => {
  const env = useEmulator();

  it("counts requests by route template and servers by status", async () => {
    await env.control.config({ capacity: { "eu-north-1": 0 } });
    const server = await env.client.gameServers.create(cs2("a"));
    await env.client.gameServers.create(cs2("b", "eu-north-1"));
    await env.client.gameServers.get(server.id);
    await env.client.gameServers.get(server.id);
    const stats = await env.control.stats();
    expect(stats).toEqual({
      requests: { total: 4, byRoute: { "POST /v1/game-servers": 2, "GET /v1/game-servers/:id": 2 } },
      servers: { byStatus: { running: 1, pending: 1 } },
    });
  });

  it("resets to the initial state and keeps the seeded key", async () => {
    await env.client.gameServers.create(cs2("a"));
    const extra = await env.control.key("org_demo", ["game-servers:read"]);
    await env.control.config({ capacity: { "us-east-1": 0 } });
    await env.control.reset();
    expect((await env.client.gameServers.list()).total).toBe(0);
    expect((await env.client.gameServers.create(cs2("b"))).status).toBe("running");
    await expect(env.clientWith(extra).gameServers.list()).rejects.toMatchObject({ status: 401 });
    // list + create + the refused list: the counters restarted at the reset.
    expect((await env.control.stats()).requests.total).toBe(3);
  });

  it("rejects a bad config and a fault with two failure kinds, naming the field", async () => {
    const bad = await env.control.call("PUT", "/_emulator/config", { capacity: { "mars-1": 3 } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/capacity\.mars-1/);
    const fault = await env.control.call("POST", "/_emulator/faults", {
      method: "GET",
      route: "/v1/game-servers",
      status: 500,
      drop: true,
    });
    expect(fault.status).toBe(400);
    expect(JSON.stringify(fault.body)).toMatch(/exactly one of status, delayMs, drop, commitThenFail/);
  });

  it("fires a fault exactly `times` times, by template whatever the parameter name", async () => {
    const server = await env.client.gameServers.create(cs2("a"));
    await env.control.fault({ method: "get", route: "/v1/game-servers/:serverId", times: 2, status: 404 });
    const call = raw(env.emulator.url, env.emulator.apiKey);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call("GET", `/v1/game-servers/${server.id}`)).status);
    expect(statuses).toEqual([404, 404, 200]);
  });

  it("commitThenFail performs a delete and answers 502", async () => {
    const server = await env.client.gameServers.create(cs2("a"));
    await env.control.fault({ method: "DELETE", route: "/v1/game-servers/:id", times: 1, commitThenFail: true });
    const call = raw(env.emulator.url, env.emulator.apiKey);
    expect((await call("DELETE", `/v1/game-servers/${server.id}`)).status).toBe(502);
    expect((await env.client.gameServers.get(server.id)).deletedAt).not.toBeNull();
  });

  it("issues keys with the requested organization and scopes", async () => {
    const res = await env.control.call<{ apiKey: string }>("POST", "/_emulator/keys", {
      organizationId: "org_x",
      scopes: ["game-logs:read"],
    });
    expect(res.status).toBe(201);
    expect(res.body.apiKey).toMatch(/^gsk_emu_/);
    const bad = await env.control.call("POST", "/_emulator/keys", { organizationId: "org_x", scopes: ["admin"] });
    expect(bad.status).toBe(400);
  });
});

describe("emulator: startEmulator", () => {
  it("serves on a free port with the given key and settings, and closes cleanly", async () => {
    const emulator = await startEmulator({ port: 0, apiKey: "gsk_fixed", capacity: { "us-east-1": 0 } });
    expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const call = raw(emulator.url, "gsk_fixed");
    expect((await call("POST", "/v1/game-servers", cs2("x"))).body.status).toBe("pending");
    await emulator.close();
    await expect(fetch(`${emulator.url}/_emulator/stats`)).rejects.toThrow();
  });

  it("refuses an invalid setting", async () => {
    await expect(startEmulator({ queueIntervalMs: 0 })).rejects.toThrow(/queueIntervalMs/);
  });
});
