import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import {
  AmbiguousRequestError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  GameServersClient,
  GameServersError,
  InsufficientScopeError,
  InternalServerError,
  isTransientError,
  MethodNotAllowedError,
  NotFoundError,
  PermissionDeniedError,
  ProviderError,
  ProviderPermissionDeniedError,
  RateLimitError,
} from "../../../sdk/index.js";
import { cs2, recordingClock, useEmulator } from "../../helpers/emulator.js";

describe("errors of the game servers API", () => {
  const env = useEmulator();

  it("401 UNAUTHORIZED for an unknown key", async () => {
    const error = await env
      .clientWith("gsk_wrong")
      .gameServers.list()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
    expect((error as AuthenticationError).requestId).toMatch(/^req_/);
    expect((error as Error).message).toMatch(/^401 UNAUTHORIZED: Invalid or missing API key \(request req_/);
  });

  it("403 FORBIDDEN for another organization's server", async () => {
    const server = await env.client.gameServers.create(cs2("mine"));
    const other = env.clientWith(await env.control.key("org_rival", ["game-servers:read", "game-servers:write"]));
    await expect(other.gameServers.get(server.id)).rejects.toMatchObject({ status: 403, code: "FORBIDDEN" });
    await expect(other.gameServers.delete(server.id)).rejects.toBeInstanceOf(PermissionDeniedError);
    expect((await other.gameServers.list()).total).toBe(0);
  });

  it("403 FORBIDDEN naming the missing scope for a read-only key that writes", async () => {
    const readOnly = env.clientWith(await env.control.key("org_demo", ["game-servers:read"]));
    expect((await readOnly.gameServers.list()).total).toBe(0);
    await expect(readOnly.gameServers.create(cs2("x"))).rejects.toThrow(/403 FORBIDDEN: API key is missing the game-servers:write scope/);
  });

  it("404 NOT_FOUND for an unknown server", async () => {
    const error = await env.client.gameServers.get("srv_nope").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ status: 404, code: "NOT_FOUND" });
  });

  it("400 INVALID_PARAMS from the server names the field (region unknown to the API)", async () => {
    const error = await env.client.gameServers.create(cs2("x", "us-east-9")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, code: "INVALID_PARAMS" });
    expect((error as Error).message).toMatch(/region us-east-9 is not a known region/);
  });

  it("400 INVALID_PARAMS when a partial update makes the configuration invalid", async () => {
    const server = await env.client.gameServers.create(cs2("x"));
    await expect(env.client.gameServers.update(server.id, { configuration: { startingMap: "de_nuke" } })).rejects.toThrow(
      /400 INVALID_PARAMS: configuration\.startingMap must be one of mapPool/,
    );
  });
});

describe("errors of the console and log API", () => {
  const env = useEmulator();

  it("insufficient_scope names the scope the endpoint requires", async () => {
    const consoleOnly = env.clientWith(await env.control.key("org_demo", ["game-console:read_write"]));
    const server = await env.client.gameServers.create(cs2("x"));
    const error = await consoleOnly.logs.latest(server.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientScopeError);
    expect(error).toMatchObject({ status: 403, code: "insufficient_scope", requiredScope: "game-logs:read" });
    expect((error as Error).message).toMatch(
      /^403 insufficient_scope: Required console or log scope is missing \(requires game-logs:read\)/,
    );
  });

  it("a read-only console key cannot send commands", async () => {
    const readOnly = env.clientWith(await env.control.key("org_demo", ["game-console:read"]));
    const server = await env.client.gameServers.create(cs2("x"));
    await expect(readOnly.console.sendCommand(server.id, "say hi")).rejects.toMatchObject({
      code: "insufficient_scope",
      requiredScope: "game-console:read_write",
    });
    expect((await readOnly.console.bootstrap(server.id)).token).toBeTruthy();
  });

  it("unauthorized, forbidden and not_found in the console format", async () => {
    const server = await env.client.gameServers.create(cs2("x"));
    await expect(env.clientWith("nope").console.bootstrap(server.id)).rejects.toMatchObject({ status: 401, code: "unauthorized" });
    const rival = env.clientWith(await env.control.key("org_rival", ["game-console:read_write", "game-logs:read"]));
    await expect(rival.logs.latest(server.id)).rejects.toMatchObject({ status: 403, code: "forbidden" });
    await expect(env.client.console.sendCommand("srv_missing", "status")).rejects.toMatchObject({ status: 404, code: "not_found" });
  });

  it("provider_permission_denied for commands to a server that is not running", async () => {
    await env.control.config({ capacity: { "eu-west-1": 0 } });
    const server = await env.client.gameServers.create(cs2("queued", "eu-west-1"));
    const error = await env.client.console.sendCommand(server.id, "status").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderPermissionDeniedError);
    expect((error as Error).message).toMatch(/Console commands are not available for this server/);
  });

  it("validation_error from the server for a body the SDK would refuse", async () => {
    const server = await env.client.gameServers.create(cs2("x"));
    const res = await fetch(`${env.emulator.url}/v1/hosting/game/console/${server.id}/command`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.emulator.apiKey}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ success: false, error: "validation_error", message: "Invalid JSON body or missing command" });
    await expect(env.client.console.sendCommand(server.id, "")).rejects.toThrow(/console\.sendCommand: command must not be empty/);
  });

  it("method_not_allowed and not_found for routes, in the console format", async () => {
    const res = await fetch(`${env.emulator.url}/v1/hosting/game/logs/srv_1/latest`, { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
    expect(await res.json()).toEqual({ success: false, error: "method_not_allowed", message: "Method not allowed" });
    const missing = await fetch(`${env.emulator.url}/v1/hosting/game/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ success: false, error: "not_found" });
  });

  it("provider_error 502 becomes ProviderError after the retries", async () => {
    const server = await env.client.gameServers.create(cs2("x"));
    await env.control.fault({ method: "GET", route: "/v1/hosting/game/logs/:id/latest", times: 3, status: 502 });
    const error = await env.client.logs.latest(server.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status: 502, code: "provider_error" });
    expect(await env.control.hits("GET /v1/hosting/game/logs/:id/latest")).toBe(3);
  });

  it("MethodNotAllowedError maps 405 for the game servers family", async () => {
    const res = await fetch(`${env.emulator.url}/v1/game-servers/srv_1/status`, { method: "POST" });
    expect(res.status).toBe(405);
    expect(await res.json()).toMatchObject({ code: "METHOD_NOT_ALLOWED" });
    expect(MethodNotAllowedError.prototype).toBeInstanceOf(GameServersError);
  });

  it("console and logs round trip: command, then the latest log holds its output", async () => {
    const server = await env.client.gameServers.create(cs2("x"));
    expect(await env.client.console.sendCommand(server.id, "say Deployment complete")).toEqual({ serverId: server.id, status: "sent" });
    const log = await env.client.logs.latest(server.id);
    expect(log.serverId).toBe(server.id);
    expect(log.empty).toBe(false);
    expect(log.content).toMatch(/> say Deployment complete\n.*Console: Deployment complete\n$/);
    const boot = await env.client.console.bootstrap(server.id);
    expect(boot).toMatchObject({ serverId: server.id, socketUrl: `${env.emulator.url.replace("http", "ws")}/ws` });
  });

  it("an empty log says so", async () => {
    await env.control.config({ capacity: { "eu-west-1": 0 } });
    const server = await env.client.gameServers.create(cs2("queued", "eu-west-1"));
    expect(await env.client.logs.latest(server.id)).toEqual({ serverId: server.id, empty: true, content: "" });
  });
});

describe("retries and the transport", () => {
  const env = useEmulator();

  it("retries a rate-limited call once the API's window resets, then succeeds", async () => {
    await env.control.config({ rateLimitPerSecond: 2 });
    const clock = recordingClock(true);
    const client = new GameServersClient({ apiKey: env.emulator.apiKey, baseUrl: env.emulator.url, clock });
    const results = await Promise.all([1, 2, 3].map(() => client.gameServers.list()));
    await client.close();
    expect(results.map((r) => r.total)).toEqual([0, 0, 0]);
    expect(clock.slept).toHaveLength(1);
    // The wait is what the one-second window had left (x-ratelimit-reset-ms), never a backoff.
    expect(clock.slept[0]).toBeGreaterThan(0);
    expect(clock.slept[0]).toBeLessThanOrEqual(1010);
    expect(await env.control.hits("GET /v1/game-servers")).toBe(4);
  });

  it("paces its requests by the API's rate-limit headers: past the first window, none is refused", async () => {
    await env.control.config({ rateLimitPerSecond: 20 });
    const client = new GameServersClient({ apiKey: env.emulator.apiKey, baseUrl: env.emulator.url });
    // Teach the client the window, then send four windows' worth at once.
    await client.gameServers.list();
    const results = await Promise.all(Array.from({ length: 80 }, () => client.gameServers.list()));
    await client.close();
    expect(results.every((r) => r.total === 0)).toBe(true);
    // Almost every call was answered at its first try (429s count as hits too); unpaced, 124 were refused.
    expect(await env.control.hits("GET /v1/game-servers")).toBeLessThanOrEqual(84);
  });

  it("a bulk request refused with 429 keeps its place: it goes before the bulk requests that came after it", async () => {
    // 10 requests/s: bulk leaves 3 of each window to others. The first create is refused once (a
    // 429 that says nothing of the window); the window's room goes to the next ones, the rest wait
    // for its reset.
    await env.control.config({ rateLimitPerSecond: 10 });
    const client = new GameServersClient({ apiKey: env.emulator.apiKey, baseUrl: env.emulator.url });
    try {
      await client.gameServers.list();
      await env.control.fault({ method: "POST", route: "/v1/game-servers", times: 1, status: 429 });
      const names = Array.from({ length: 12 }, (_, i) => `c${i + 1}`);
      await Promise.all(names.map((name) => client.gameServers.create(cs2(name), { bulk: true })));
    } finally {
      await client.close();
    }
    const created = (await env.client.gameServers.list({ pageSize: 100 })).items.map((s) => s.name);
    // c1 is sent again at the head of the line when the window resets, before c7 ... c12 that
    // came after it (it used to go after all of them: created last).
    expect(created).toHaveLength(12);
    expect(created.slice(-4)).not.toContain("c1");
    expect(await env.control.hits("POST /v1/game-servers")).toBe(13);
  });

  it("retries 429 beyond maxRetries until the call's deadline: nothing was processed", async () => {
    await env.control.fault({ method: "GET", route: "/v1/game-servers", times: 4, status: 429, retryAfterSeconds: 0 });
    const client = env.clientWith(env.emulator.apiKey);
    expect((await client.gameServers.list({}, { maxRetries: 1, deadline: Date.now() + 60_000 })).total).toBe(0);
    expect(await env.control.hits("GET /v1/game-servers")).toBe(5);
  });

  it("gives up on 429 with RateLimitError once the deadline would pass, and never retries with maxRetries 0", async () => {
    await env.control.fault({ method: "GET", route: "/v1/game-servers", times: 5, status: 429, retryAfterSeconds: 1 });
    const client = env.clientWith(env.emulator.apiKey);
    const error = await client.gameServers.list({}, { deadline: Date.now() + 500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(await env.control.hits("GET /v1/game-servers")).toBe(1);
    const again = await env
      .clientWith(env.emulator.apiKey)
      .gameServers.list({}, { maxRetries: 0 })
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(RateLimitError);
    expect(await env.control.hits("GET /v1/game-servers")).toBe(2);
  });

  it("a create's deadline bounds how long it retries 429s", async () => {
    await env.control.fault({ method: "POST", route: "/v1/game-servers", times: 40, status: 429, retryAfterSeconds: 1 });
    const client = env.clientWith(env.emulator.apiKey);
    const started = Date.now();
    const error = await client.gameServers.create(cs2("x"), { deadline: Date.now() + 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await env.control.hits("POST /v1/game-servers")).toBe(1);
  });

  it("a closed client fails at once with a plain error, never a transient one to retry", async () => {
    const client = new GameServersClient({ apiKey: env.emulator.apiKey, baseUrl: env.emulator.url });
    await client.close();
    const error = await client.gameServers.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GameServersError);
    expect(isTransientError(error)).toBe(false);
    expect((error as Error).message).toMatch(/this client was closed/);
  });

  it("a 429 pauses every call of the client until Retry-After, so they back off together", async () => {
    await env.control.fault({ method: "GET", route: "/v1/game-servers/:id", times: 1, status: 429, retryAfterSeconds: 2 });
    const clock = recordingClock();
    const client = new GameServersClient({ apiKey: env.emulator.apiKey, baseUrl: env.emulator.url, clock });
    await client.gameServers.get("srv_missing").catch(() => undefined);
    // A second call made while paused waits too (the fake clock records the pause).
    await client.gameServers.list();
    await client.close();
    expect(clock.slept.filter((ms) => ms >= 1500)).toHaveLength(2);
  });

  it("retries a GET on 503 with backoff and counts the attempts", async () => {
    await env.control.fault({ method: "GET", route: "/v1/game-servers/:id", times: 2, status: 503 });
    const server = await env.client.gameServers.create(cs2("x"));
    expect((await env.client.gameServers.get(server.id)).id).toBe(server.id);
    expect(await env.control.hits("GET /v1/game-servers/:id")).toBe(3);
    expect(env.clock.slept).toHaveLength(2);
    expect(env.clock.slept[0]).toBeGreaterThanOrEqual(375);
    expect(env.clock.slept[1]).toBeGreaterThanOrEqual(750);
  });

  // A 5xx's Retry-After counts the attempt: a DELETE under a 503 that lasts (an API in
  // maintenance) ends. 50 answers stand for "it lasts": a client that waited them without
  // counting would go through all of them and succeed on the 51st.
  it.each([
    [undefined, 3],
    [5, 6],
  ])("a DELETE under a lasting 503 with Retry-After ends after maxRetries (%s) + 1 requests", async (maxRetries, requests) => {
    const server = await env.client.gameServers.create(cs2("x"));
    await env.control.fault({ method: "DELETE", route: "/v1/game-servers/:id", times: 50, status: 503, retryAfterSeconds: 2 });
    const error = await env.client.gameServers.delete(server.id, { maxRetries }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error).toMatchObject({ status: 503 });
    expect(await env.control.hits("DELETE /v1/game-servers/:id")).toBe(requests);
    // Each retry waited what the answer asked (the recording clock returns at once).
    expect(env.clock.slept).toEqual(Array(requests - 1).fill(2000));
  });

  it("a 503 whose Retry-After would pass the call's deadline ends the call at once", async () => {
    const server = await env.client.gameServers.create(cs2("x"));
    await env.control.fault({ method: "DELETE", route: "/v1/game-servers/:id", times: 50, status: 503, retryAfterSeconds: 2 });
    const error = await env.client.gameServers.delete(server.id, { deadline: Date.now() + 1_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503 });
    expect(await env.control.hits("DELETE /v1/game-servers/:id")).toBe(1);
    expect(env.clock.slept).toEqual([]);
  });

  it("retries a GET whose connection was dropped", async () => {
    await env.control.fault({ method: "GET", route: "/v1/game-servers", times: 1, drop: true });
    expect((await env.client.gameServers.list()).total).toBe(0);
    expect(await env.control.hits("GET /v1/game-servers")).toBe(2);
  });

  it("never repeats a create answered 500: AmbiguousRequestError after one attempt", async () => {
    await env.control.fault({ method: "POST", route: "/v1/game-servers", times: 1, status: 500 });
    const error = await env.client.gameServers.create(cs2("x")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmbiguousRequestError);
    expect((error as AmbiguousRequestError).cause).toBeInstanceOf(InternalServerError);
    expect(await env.control.hits("POST /v1/game-servers")).toBe(1);
  });

  it("a lost create response (commitThenFail) is ambiguous and the server does exist", async () => {
    await env.control.fault({ method: "POST", route: "/v1/game-servers", times: 1, commitThenFail: true });
    const error = await env.client.gameServers.create(cs2("lost")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmbiguousRequestError);
    expect((error as Error).message).toMatch(/POST \/v1\/game-servers may or may not have taken effect/);
    const all = await env.client.gameServers.list();
    expect(all.items.map((s) => s.name)).toEqual(["lost"]);
    expect(await env.control.hits("POST /v1/game-servers")).toBe(1);
  });

  it("a dropped create connection is ambiguous, not retried", async () => {
    await env.control.fault({ method: "POST", route: "/v1/game-servers", times: 1, drop: true });
    const error = await env.client.gameServers.create(cs2("x")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmbiguousRequestError);
    expect((error as AmbiguousRequestError).cause).toBeInstanceOf(APIConnectionError);
    expect(await env.control.hits("POST /v1/game-servers")).toBe(1);
  });

  it("retries a create that is rate limited: 429 means it was not processed", async () => {
    await env.control.fault({ method: "POST", route: "/v1/game-servers", times: 1, status: 429 });
    expect((await env.client.gameServers.create(cs2("x"))).status).toBe("running");
    expect(await env.control.hits("POST /v1/game-servers")).toBe(2);
  });

  it("times out a slow request with APIConnectionTimeoutError", async () => {
    await env.control.fault({ method: "GET", route: "/v1/game-servers", times: 1, delayMs: 1000 });
    const error = await env.client.gameServers.list({}, { timeout: 100, maxRetries: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionTimeoutError);
    expect((error as Error).message).toMatch(/timed out after 100 ms/);
  });

  it("aborts with APIUserAbortError when the caller's signal fires", async () => {
    await env.control.fault({ method: "GET", route: "/v1/game-servers", times: 1, delayMs: 1000 });
    const error = await env.client.gameServers.list({}, { signal: AbortSignal.timeout(50) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIUserAbortError);
  });

  it("retries a refused connection, even for a create (it never reached the server)", async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, "127.0.0.1", r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const clock = recordingClock();
    const client = new GameServersClient({ apiKey: "k", baseUrl: `http://127.0.0.1:${port}`, clock, maxRetries: 2 });
    const error = await client.gameServers.create(cs2("x")).catch((e: unknown) => e);
    await client.close();
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(error).not.toBeInstanceOf(AmbiguousRequestError);
    expect(clock.slept).toHaveLength(2);
  });
});
