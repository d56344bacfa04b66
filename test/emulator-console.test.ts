import { WebSocket } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { cs2, useEmulator } from "./helpers/emulator.js";

interface Frame {
  event: string;
  args?: unknown[];
}

/** A console websocket that queues every frame, so a test can await the next one of a kind. */
class ConsoleSocket {
  readonly frames: Frame[] = [];
  readonly #waiters: { event: string; resolve: (f: Frame) => void }[] = [];
  readonly ws: WebSocket;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.addEventListener("message", (e) => {
      const frame = JSON.parse(String(e.data)) as Frame;
      const i = this.#waiters.findIndex((w) => w.event === frame.event);
      if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(frame);
      else this.frames.push(frame);
    });
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.addEventListener("open", () => resolve(), { once: true });
      this.ws.addEventListener("error", () => reject(new Error("websocket failed")), { once: true });
    });
  }

  send(event: string, ...args: unknown[]): void {
    this.ws.send(JSON.stringify({ event, args }));
  }

  /** The next frame with this event (already received or still to come), within `ms`. */
  next(event: string, ms = 2000): Promise<Frame> {
    const i = this.frames.findIndex((f) => f.event === event);
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${event}" frame within ${ms} ms; got ${JSON.stringify(this.frames)}`)), ms);
      this.#waiters.push({
        event,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  close(): void {
    this.ws.close();
  }
}

describe("emulator: console websocket", () => {
  const env = useEmulator();
  const sockets: ConsoleSocket[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  async function open(serverId: string, client = env.client) {
    const boot = await client.console.bootstrap(serverId);
    const socket = new ConsoleSocket(boot.socketUrl);
    sockets.push(socket);
    await socket.opened();
    return { socket, token: boot.token };
  }

  it("authenticates, reports status and streams console output of commands", async () => {
    const server = await env.client.gameServers.create(cs2("live"));
    const { socket, token } = await open(server.id);
    socket.send("auth", token);
    await socket.next("auth success");
    expect((await socket.next("status")).args).toEqual(["running"]);
    socket.send("send command", "say hello");
    expect((await socket.next("console output")).args?.[0]).toMatch(/> say hello$/);
    expect((await socket.next("console output")).args?.[0]).toMatch(/Console: hello$/);
    await env.client.console.sendCommand(server.id, "status");
    expect((await socket.next("console output")).args?.[0]).toMatch(/> status$/);
  });

  it("replays the log on send logs", async () => {
    const server = await env.client.gameServers.create(cs2("replay"));
    const { socket, token } = await open(server.id);
    socket.send("auth", token);
    await socket.next("auth success");
    socket.send("send logs", null);
    expect((await socket.next("console output")).args?.[0]).toMatch(/Server started: replay/);
  });

  it("streams status changes while a server boots", async () => {
    await env.control.config({ bootDelayMs: 300 });
    const server = await env.client.gameServers.create(cs2("booting"));
    const { socket, token } = await open(server.id);
    socket.send("auth", token);
    expect((await socket.next("status")).args).toEqual(["allocating"]);
    expect((await socket.next("status")).args).toEqual(["starting"]);
    expect((await socket.next("status")).args).toEqual(["running"]);
  });

  it("refuses commands on a read-only stream and answers a bad token with jwt error", async () => {
    const server = await env.client.gameServers.create(cs2("ro"));
    const readOnly = env.clientWith(await env.control.key("org_demo", ["game-console:read"]));
    const { socket, token } = await open(server.id, readOnly);
    socket.send("auth", "ct_forged");
    expect((await socket.next("jwt error")).args?.[0]).toMatch(/invalid or has expired/);
    socket.send("send command", "say hi");
    expect((await socket.next("jwt error")).args?.[0]).toMatch(/Not authenticated/);
    socket.send("auth", token);
    await socket.next("auth success");
    socket.send("send command", "say hi");
    expect((await socket.next("daemon error")).args?.[0]).toMatch(/read-only/);
  });

  it("signals token expiring then expired, and re-authenticates on the same socket", async () => {
    await env.control.config({ tokenTtlMs: 400 });
    const server = await env.client.gameServers.create(cs2("ttl"));
    const { socket, token } = await open(server.id);
    socket.send("auth", token);
    await socket.next("auth success");
    const started = Date.now();
    await socket.next("token expiring");
    const warnedAt = Date.now() - started;
    await socket.next("token expired");
    const expiredAt = Date.now() - started;
    expect(warnedAt).toBeLessThan(expiredAt);
    // Expired: output stops and commands are refused until a fresh token arrives.
    socket.send("send command", "say during expiry");
    await socket.next("token expired");
    await env.client.console.sendCommand(server.id, "say unseen");
    const fresh = await env.client.console.bootstrap(server.id);
    socket.send("auth", fresh.token);
    await socket.next("auth success");
    socket.send("send command", "say after refresh");
    expect((await socket.next("console output")).args?.[0]).toMatch(/> say after refresh$/);
    expect(socket.frames.filter((f) => f.event === "console output").map((f) => f.args?.[0])).not.toContainEqual(
      expect.stringMatching(/unseen/),
    );
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
  });

  it("refuses an expired token and a token of another server on an authenticated socket", async () => {
    await env.control.config({ tokenTtlMs: 50 });
    const a = await env.client.gameServers.create(cs2("a"));
    const b = await env.client.gameServers.create(cs2("b"));
    const { socket, token } = await open(a.id);
    await new Promise((r) => setTimeout(r, 80));
    socket.send("auth", token);
    await socket.next("jwt error");
    await env.control.config({ tokenTtlMs: 60_000 });
    socket.send("auth", (await env.client.console.bootstrap(a.id)).token);
    await socket.next("auth success");
    socket.send("auth", (await env.client.console.bootstrap(b.id)).token);
    expect((await socket.next("jwt error")).args?.[0]).toMatch(/another server/);
  });

  it("answers a malformed frame with daemon error and keeps the socket", async () => {
    const server = await env.client.gameServers.create(cs2("x"));
    const { socket } = await open(server.id);
    socket.ws.send("not json");
    expect((await socket.next("daemon error")).args?.[0]).toMatch(/JSON/);
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
  });
});
