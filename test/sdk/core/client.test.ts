import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { AuthenticationError, GameServersClient, InvalidResponseError } from "../../../sdk/index.js";

describe("client options and secrets", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function serve(body: unknown, status = 200): Promise<string> {
    server = createServer((_req, res) => {
      res.writeHead(status, { "content-type": "application/json", "x-request-id": "req_fixed" });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("names this package's version and Node.js's in the user agent", async () => {
    let userAgent: string | undefined;
    server = createServer((req, res) => {
      userAgent = req.headers["user-agent"];
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: "srv_1", status: "running", updatedAt: "2026-11-23T00:00:00Z" }));
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const client = new GameServersClient({ apiKey: "k", baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    await client.gameServers.getStatus("srv_1");
    await client.close();
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, "../../../package.json"), "utf8")) as { version: string };
    expect(userAgent).toBe(`pulumi-gameservers-sdk/${version} node/${process.versions.node}`);
  });

  it("names the field of a response that breaks its schema", async () => {
    const url = await serve({ page: 1, pageSize: 20, total: "many", items: [] });
    const client = new GameServersClient({ apiKey: "k", baseUrl: url });
    const error = await client.gameServers.list().catch((e: unknown) => e);
    await client.close();
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ field: "total", requestId: "req_fixed" });
  });

  it("tolerates unknown fields and future statuses in responses", async () => {
    const url = await serve({ id: "srv_1", status: "hibernating", updatedAt: "2026-11-23T00:00:00Z", newField: { x: 1 } });
    const client = new GameServersClient({ apiKey: "k", baseUrl: url });
    const status = await client.gameServers.getStatus("srv_1");
    await client.close();
    expect(status.status).toBe("hibernating");
  });

  it("refuses plain http:// except on loopback", () => {
    expect(() => new GameServersClient({ apiKey: "k", baseUrl: "http://api.example.com" })).toThrow(/plain http:\/\/ is refused/);
    expect(() => new GameServersClient({ apiKey: "k", baseUrl: "http://localhost:1" })).not.toThrow();
    expect(() => new GameServersClient({ apiKey: "k", baseUrl: "http://[::1]:1" })).not.toThrow();
    expect(() => new GameServersClient({ apiKey: "k", consoleBaseUrl: "http://10.0.0.1" })).toThrow(/consoleBaseUrl/);
  });

  it("reads the environment as fallback and defaults the console URL to the base URL", () => {
    const saved = { ...process.env };
    try {
      process.env.GAMESERVERS_API_KEY = "from-env";
      process.env.GAMESERVERS_API_URL = "http://127.0.0.1:9";
      delete process.env.GAMESERVERS_CONSOLE_API_URL;
      const client = new GameServersClient();
      expect(client.baseUrl).toBe("http://127.0.0.1:9");
      expect(client.consoleBaseUrl).toBe("http://127.0.0.1:9");
      delete process.env.GAMESERVERS_API_URL;
      const defaults = new GameServersClient();
      expect([defaults.baseUrl, defaults.consoleBaseUrl]).toEqual(["https://api.sweathost.com", "https://api.heo-systems.net"]);
      delete process.env.GAMESERVERS_API_KEY;
      expect(() => new GameServersClient()).toThrow(/apiKey option is missing/);
    } finally {
      process.env = saved;
    }
  });

  it("validates numeric options", () => {
    expect(() => new GameServersClient({ apiKey: "k", maxRetries: -1 })).toThrow(/maxRetries/);
    expect(() => new GameServersClient({ apiKey: "k", timeout: 0 })).toThrow(/timeout/);
  });

  it("never shows the API key in an error, its enumerable fields or the client", async () => {
    const secret = "gsk_super_secret_value";
    const url = await serve({ statusCode: 401, code: "UNAUTHORIZED", message: "Invalid or missing API key" }, 401);
    const client = new GameServersClient({ apiKey: secret, baseUrl: url });
    const error = await client.gameServers.list().catch((e: unknown) => e);
    await client.close();
    expect(error).toBeInstanceOf(AuthenticationError);
    for (const text of [
      String(error),
      JSON.stringify(error),
      inspect(error, { depth: 10, showHidden: true }),
      inspect(client, { depth: 10 }),
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});
