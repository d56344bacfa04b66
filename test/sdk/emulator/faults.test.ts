import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { AmbiguousRequestError, AuthenticationError, InvalidResponseError, RateLimitError } from "../../../sdk/index.js";
import { cs2, useEmulator } from "../../helpers/emulator.js";

describe("emulator faults for the reliability matrix", () => {
  const env = useEmulator();

  it("commitThenDrop creates the server and closes the connection unanswered", async () => {
    await env.control.fault({ method: "POST", route: "/v1/game-servers", commitThenDrop: true });
    await expect(env.client.gameServers.create(cs2("dropped"))).rejects.toBeInstanceOf(AmbiguousRequestError);
    expect((await env.client.gameServers.list()).items.map((s) => s.name)).toEqual(["dropped"]);
  });

  it("truncatedBody carries the write out and answers a 2xx that does not parse", async () => {
    await env.control.fault({ method: "POST", route: "/v1/game-servers", truncatedBody: true });
    await expect(env.client.gameServers.create(cs2("cut"))).rejects.toBeInstanceOf(InvalidResponseError);
    expect((await env.client.gameServers.list()).total).toBe(1);
  });

  it("commitThenDelayMs answers after the write: slower than a short client timeout", async () => {
    await env.control.fault({ method: "POST", route: "/v1/game-servers", commitThenDelayMs: 400 });
    const client = env.clientWith(env.emulator.apiKey);
    await expect(client.gameServers.create(cs2("slow"), { timeout: 100 })).rejects.toBeInstanceOf(AmbiguousRequestError);
    expect((await env.client.gameServers.list()).total).toBe(1);
  });

  it("delayMs carries the write out after its delay, even when the client left during it", async () => {
    await env.control.fault({ method: "POST", route: "/v1/game-servers", delayMs: 300 });
    const client = env.clientWith(env.emulator.apiKey);
    await expect(client.gameServers.create(cs2("late"), { timeout: 100, maxRetries: 0 })).rejects.toBeInstanceOf(AmbiguousRequestError);
    expect((await env.client.gameServers.list()).total).toBe(0);
    await new Promise((r) => setTimeout(r, 400));
    expect((await env.client.gameServers.list()).items.map((s) => s.name)).toEqual(["late"]);
  });

  it("a rate limit describes its window on every response, and a 429 says exactly how long to wait", async () => {
    await env.control.config({ rateLimitPerSecond: 2 });
    const get = () => fetch(`${env.emulator.url}/v1/game-servers`, { headers: { authorization: `Bearer ${env.emulator.apiKey}` } });
    const [first, second, third] = [await get(), await get(), await get()];
    expect([first.status, second.status, third.status]).toEqual([200, 200, 429]);
    expect([first, second, third].map((r) => r.headers.get("x-ratelimit-remaining"))).toEqual(["1", "0", "0"]);
    for (const r of [first, second, third]) {
      expect(r.headers.get("x-ratelimit-limit")).toBe("2");
      const reset = Number(r.headers.get("x-ratelimit-reset-ms"));
      expect(reset).toBeGreaterThan(0);
      expect(reset).toBeLessThanOrEqual(1000);
    }
    expect(third.headers.get("retry-after")).toBe("1");
    expect(Number(third.headers.get("retry-after-ms"))).toBe(Number(third.headers.get("x-ratelimit-reset-ms")));
    // Without a limit, no window is described.
    await env.control.config({ rateLimitPerSecond: null });
    expect((await get()).headers.get("x-ratelimit-limit")).toBeNull();
  });

  it("a status fault can carry Retry-After", async () => {
    await env.control.fault({ method: "GET", route: "/v1/game-servers", status: 429, retryAfterSeconds: 7 });
    const error = await env.client.gameServers.list({}, { maxRetries: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).headers["retry-after"]).toBe("7");
  });

  it("refuses a fault with two kinds, or Retry-After without a status", async () => {
    const both = await env.control.call("POST", "/_emulator/faults", {
      method: "GET",
      route: "/v1/game-servers",
      drop: true,
      truncatedBody: true,
    });
    expect(both.status).toBe(400);
    const orphan = await env.control.call("POST", "/_emulator/faults", {
      method: "GET",
      route: "/v1/game-servers",
      drop: true,
      retryAfterSeconds: 1,
    });
    expect(orphan.status).toBe(400);
  });

  it("a revoked key is refused from the next request on; reset brings the seeded key back", async () => {
    const key = await env.control.key("org_demo", ["game-servers:read"]);
    const client = env.clientWith(key);
    expect((await client.gameServers.list()).total).toBe(0);
    expect((await env.control.call("POST", "/_emulator/keys/revoke", { apiKey: key })).body).toEqual({ ok: true });
    await expect(client.gameServers.list()).rejects.toBeInstanceOf(AuthenticationError);
    await env.control.call("POST", "/_emulator/keys/revoke", { apiKey: env.emulator.apiKey });
    await expect(env.client.gameServers.list()).rejects.toBeInstanceOf(AuthenticationError);
    await env.control.reset();
    expect((await env.client.gameServers.list()).total).toBe(0);
  });

  it("a skewed clock shows in timestamps and in the Date header the SDK reads", async () => {
    await env.control.config({ clockOffsetMs: -600_000 });
    const before = Date.now();
    const server = await env.client.gameServers.create(cs2("skewed"));
    expect(Date.parse(server.createdAt) - before).toBeLessThan(-590_000);
    expect(env.client.apiClockOffsetMs).toBeGreaterThan(-602_000);
    expect(env.client.apiClockOffsetMs).toBeLessThan(-598_000);
  });

  it("a server's boot only moves forward, even when the event loop stalls past both steps", async () => {
    await env.control.config({ bootDelayMs: 40 });
    const servers = await Promise.all(Array.from({ length: 20 }, (_, i) => env.client.gameServers.create(cs2(`boot-${i}`))));
    // Stall the loop past both boot steps of every server: both become due at once.
    const until = Date.now() + 120;
    while (Date.now() < until) {}
    await new Promise((r) => setTimeout(r, 100));
    const statuses = await Promise.all(servers.map((s) => env.client.gameServers.get(s.id)));
    expect(new Set(statuses.map((s) => s.status))).toEqual(new Set(["running"]));
  });

  it("malformed HTTP never ends the process: each gets an error answer", async () => {
    const raw = (text: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(env.emulator.port, "127.0.0.1", () => socket.end(text));
        let out = "";
        socket.on("data", (d) => (out += d));
        socket.on("close", () => resolve(out));
        socket.on("error", () => resolve(out));
      });
    expect(await raw("GARBAGE\r\n\r\n")).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw("GET /v1/game-servers/%E0%A4%A HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")).toMatch(
      /^HTTP\/1\.1 (400|401|404)/,
    );
    expect(
      await raw(
        `POST /v1/game-servers HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\nauthorization: Bearer ${env.emulator.apiKey}\r\nconnection: close\r\n\r\n{{{{{`,
      ),
    ).toMatch(/^HTTP\/1\.1 400/);
    // Still serving.
    expect((await env.client.gameServers.list()).total).toBe(0);
  });

  it("nonJsonBody carries the write out and answers its 2xx with a body that is not JSON", async () => {
    await env.control.fault({ method: "POST", route: "/v1/game-servers", nonJsonBody: true });
    const res = await fetch(`${env.emulator.url}/v1/game-servers`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.emulator.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(cs2("html")),
    });
    expect([res.status, res.headers.get("content-type")]).toEqual([200, "text/html; charset=utf-8"]);
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow();
    expect((await env.client.gameServers.list()).items.map((s) => s.name)).toEqual(["html"]);
  });

  it("rewrite changes the answer as an API that moved on would: unknown values, extra fields, a key filled in", async () => {
    const made = await env.client.gameServers.create(cs2("rewritten"));
    await env.control.fault({ method: "GET", route: "/v1/game-servers/:id", times: 1, rewrite: { status: "hibernating" } });
    expect((await env.client.gameServers.get(made.id)).status).toBe("hibernating");
    await env.control.fault({ method: "GET", route: "/v1/game-servers/:id", times: 1, rewrite: { port: "not a port" } });
    await expect(env.client.gameServers.get(made.id)).rejects.toBeInstanceOf(InvalidResponseError);
    await env.control.fault({
      method: "GET",
      route: "/v1/game-servers",
      times: 1,
      rewrite: { billingTier: "pro", configuration: { botDifficulty: 3 } },
    });
    const [listed] = (await env.client.gameServers.list()).items;
    expect(listed?.configuration).toMatchObject({ botDifficulty: 3, maxPlayers: 10 });
    // The SDK keeps fields it does not know.
    expect((listed as unknown as Record<string, unknown>).billingTier).toBe("pro");
    // The server itself is unchanged: only the answers were.
    expect((await env.client.gameServers.get(made.id)).status).toBe(made.status);
  });

  it("a status fault can carry the API's code and message: a running server refusing commands", async () => {
    const made = await env.client.gameServers.create({ ...cs2("refuses"), region: "us-east-1" });
    await env.control.fault({
      method: "POST",
      route: "/v1/hosting/game/console/:id/command",
      status: 403,
      code: "provider_permission_denied",
      message: "Console commands are disabled for this server",
    });
    const error = await env.client.console.sendCommand(made.id, "say hi").catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 403, code: "provider_permission_denied", message: expect.stringContaining("disabled") });
  });
});
