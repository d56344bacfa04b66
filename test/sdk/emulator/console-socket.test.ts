import { connect as tcpConnect } from "node:net";
import { WebSocket } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import type { ConsoleStats } from "../../../sdk/emulator/console-faults.js";
import { type Control, cs2, useEmulator } from "../../helpers/emulator.js";

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
      const frame = parseFrame(String(e.data));
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

  /** The close code and reason, once the socket closed (either side). */
  closed(ms = 2000): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.reject(new Error("already closed"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
      this.ws.addEventListener(
        "close",
        (e) => {
          clearTimeout(timer);
          resolve({ code: e.code, reason: e.reason });
        },
        { once: true },
      );
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** A frame as received; text that is not JSON is kept as a `(raw)` frame. */
function parseFrame(text: string): Frame {
  try {
    return JSON.parse(text) as Frame;
  } catch {
    return { event: "(raw)", args: [text] };
  }
}

async function consoleStats(control: Control): Promise<ConsoleStats> {
  return (await control.call<ConsoleStats>("GET", "/_emulator/console/stats")).body;
}

async function consoleFault(control: Control, fault: Record<string, unknown>): Promise<{ ok: boolean; sockets: number }> {
  const res = await control.call<{ ok: boolean; sockets: number }>("POST", "/_emulator/console/faults", fault);
  if (res.status !== 201) throw new Error(`console fault failed: ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * Speaks raw TCP to the emulator: writes `request`, then `frames` once the server answered.
 * Resolves with the status line of the answer and the close code of the first close frame.
 */
function rawExchange(emulatorUrl: string, request: string, frames: Buffer[] = []): Promise<{ statusLine: string; closeCode?: number }> {
  const { hostname, port } = new URL(emulatorUrl);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(Number(port), hostname, () => socket.write(request));
    let received = Buffer.alloc(0);
    let headerEnd = -1;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer; got ${JSON.stringify(received.toString("latin1"))}`));
    }, 2000);
    const finish = (closeCode?: number) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ statusLine: received.toString("latin1").split("\r\n")[0] ?? "", closeCode });
    };
    socket.on("error", reject);
    socket.on("end", () => finish());
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (headerEnd < 0) {
        headerEnd = received.indexOf("\r\n\r\n");
        if (headerEnd < 0) return;
        if (!received.toString("latin1").startsWith("HTTP/1.1 101")) return finish();
        for (const f of frames) socket.write(f);
      }
      const body = received.subarray(headerEnd + 4);
      // A close frame from the server: 0x88, unmasked length < 126, then the 2-byte code.
      if (body.length >= 4 && body[0] === 0x88) finish(body.readUInt16BE(2));
    });
  });
}

function upgradeRequest(emulatorUrl: string, path = "/ws", key: string | null = "dGhlIHNhbXBsZSBub25jZQ=="): string {
  const { host } = new URL(emulatorUrl);
  return (
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    (key ? `Sec-WebSocket-Key: ${key}\r\n` : "") +
    "Sec-WebSocket-Version: 13\r\n\r\n"
  );
}

/** One masked client frame (mask key 0, so the payload goes as it is). */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  if (payload.length >= 126) throw new Error("short frames only");
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
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
    // Expired: as Wings, a frame with the expired token is answered by jwt error, and output is
    // dropped (each line replaced by a jwt error), until a fresh token arrives.
    socket.send("send command", "say during expiry");
    expect((await socket.next("jwt error")).args?.[0]).toBe("jwt: exp claim is invalid");
    await env.client.console.sendCommand(server.id, "say unseen");
    expect((await socket.next("jwt error")).args?.[0]).toBe("jwt: exp claim is invalid");
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

  it("answers a JSON frame of the wrong shape with daemon error naming the field", async () => {
    const server = await env.client.gameServers.create(cs2("shape"));
    const { socket } = await open(server.id);
    socket.ws.send(JSON.stringify({ event: "auth", args: [42] }));
    expect((await socket.next("daemon error")).args?.[0]).toMatch(/Malformed "auth" frame: args\.0/);
    socket.ws.send(JSON.stringify({ event: "set state", args: ["start"] }));
    expect((await socket.next("daemon error")).args?.[0]).toBe('Unknown event "set state"');
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
  });

  it("closes only the socket that sends a frame over 64 KiB, with 1009, and keeps serving", async () => {
    const server = await env.client.gameServers.create(cs2("big"));
    const { socket: good, token } = await open(server.id);
    good.send("auth", token);
    await good.next("auth success");
    const { socket: bad } = await open(server.id);
    const closed = bad.closed();
    bad.ws.send("x".repeat(64 * 1024 + 1)); // before auth: the case that used to end the process
    expect((await closed).code).toBe(1009);
    await env.client.console.sendCommand(server.id, "say still here");
    expect((await good.next("console output")).args?.[0]).toMatch(/> say still here$/);
    expect((await consoleStats(env.control)).closesSent).toEqual({ 1009: 1 });
  });

  it("closes a socket sending invalid UTF-8 with 1007, and one sending a binary frame with 1003", async () => {
    const utf8 = await rawExchange(env.emulator.url, upgradeRequest(env.emulator.url), [clientFrame(0x1, Buffer.from([0xc3, 0x28]))]);
    expect(utf8).toEqual({ statusLine: "HTTP/1.1 101 Switching Protocols", closeCode: 1007 });
    const binary = await rawExchange(env.emulator.url, upgradeRequest(env.emulator.url), [clientFrame(0x2, Buffer.from("{}"))]);
    expect(binary.closeCode).toBe(1003);
    const stats = await consoleStats(env.control);
    expect(stats.closesSent).toEqual({ 1007: 1, 1003: 1 });
    expect(stats.socketsOpened).toBe(2);
    expect((await env.client.gameServers.list()).total).toBe(0);
  });

  it("answers malformed upgrade requests with 400 or 404 and keeps serving", async () => {
    const noKey = await rawExchange(env.emulator.url, upgradeRequest(env.emulator.url, "/ws", null));
    expect(noKey.statusLine).toMatch(/^HTTP\/1.1 400/);
    const otherPath = await rawExchange(env.emulator.url, upgradeRequest(env.emulator.url, "/nope"));
    expect(otherPath.statusLine).toMatch(/^HTTP\/1.1 404/);
    const garbage = await rawExchange(env.emulator.url, "\u0000\u0001 not http at all\r\n\r\n");
    expect(garbage.statusLine).toMatch(/^HTTP\/1.1 400/);
    expect((await consoleStats(env.control)).upgradesRejected).toBe(2);
    const server = await env.client.gameServers.create(cs2("after"));
    const { socket, token } = await open(server.id);
    socket.send("auth", token);
    await socket.next("auth success");
  });

  it("names the token's permissions in auth success: read-only tokens lack control.console", async () => {
    const server = await env.client.gameServers.create(cs2("perm"));
    const readOnly = env.clientWith(await env.control.key("org_demo", ["game-console:read"]));
    const rw = await open(server.id);
    rw.socket.send("auth", rw.token);
    expect((await rw.socket.next("auth success")).args).toEqual(["websocket.connect", "control.console"]);
    const ro = await open(server.id, readOnly);
    ro.socket.send("auth", ro.token);
    expect((await ro.socket.next("auth success")).args).toEqual(["websocket.connect"]);
  });

  it("closes a streamed server's sockets with 4004 when it is deleted", async () => {
    const server = await env.client.gameServers.create(cs2("doomed"));
    const { socket, token } = await open(server.id);
    socket.send("auth", token);
    await socket.next("status");
    const closed = socket.closed();
    await env.client.gameServers.delete(server.id);
    expect((await socket.next("status")).args).toEqual(["stopped"]);
    expect(await closed).toEqual({ code: 4004, reason: "server deleted" });
  });

  describe("faults", () => {
    async function authed(name: string) {
      const server = await env.client.gameServers.create(cs2(name));
      const { socket, token } = await open(server.id);
      socket.send("auth", token);
      await socket.next("auth success");
      await socket.next("status");
      return { server, socket };
    }

    it("drop ends the connection without a close frame (1006 at the client)", async () => {
      const { server, socket } = await authed("drop");
      const closed = socket.closed();
      expect(await consoleFault(env.control, { action: "drop", serverId: server.id })).toEqual({ ok: true, sockets: 1 });
      expect((await closed).code).toBe(1006);
      expect((await consoleStats(env.control)).drops).toBe(1);
    });

    it("close sends the given code and reason, only to the matching server's sockets", async () => {
      const a = await authed("a");
      const b = await authed("b");
      const closed = a.socket.closed();
      await consoleFault(env.control, { action: "close", code: 4003, reason: "server suspended", serverId: a.server.id });
      expect(await closed).toEqual({ code: 4003, reason: "server suspended" });
      expect(b.socket.ws.readyState).toBe(WebSocket.OPEN);
      expect((await consoleStats(env.control)).closesSent).toEqual({ 4003: 1 });
    });

    it("garbage sends a frame as it is", async () => {
      const { socket } = await authed("garbage");
      await consoleFault(env.control, { action: "garbage" });
      expect(await socket.next("console output")).toEqual({ event: "console output", args: [42] });
      await consoleFault(env.control, { action: "garbage", frame: "}{" });
      expect(await socket.next("(raw)")).toEqual({ event: "(raw)", args: ["}{"] });
    });

    it("expire without announce drops lines as jwt error frames until a fresh auth", async () => {
      const { server, socket } = await authed("expire");
      await consoleFault(env.control, { action: "expire", announce: false });
      await env.client.console.sendCommand(server.id, "say dropped");
      expect((await socket.next("jwt error")).args).toEqual(["jwt: exp claim is invalid"]);
      expect((await socket.next("jwt error")).args).toEqual(["jwt: exp claim is invalid"]);
      socket.send("auth", (await env.client.console.bootstrap(server.id)).token);
      await socket.next("auth success");
      socket.send("send logs");
      expect((await socket.next("console output")).args?.[0]).toMatch(/Server started/);
      expect(socket.frames.map((f) => f.event)).not.toContain("token expired");
      const stats = await consoleStats(env.control);
      expect({ auth: stats.authFrames, refreshes: stats.refreshes, replays: stats.replays }).toEqual({ auth: 2, refreshes: 1, replays: 1 });
    });

    it("delay holds the next frames, in order, and counts frames in and out", async () => {
      const { server, socket } = await authed("delay");
      const before = await consoleStats(env.control);
      await consoleFault(env.control, { action: "delay", delayMs: 300, frames: 1 });
      const started = Date.now();
      await env.client.console.sendCommand(server.id, "say late");
      const first = await socket.next("console output");
      const second = await socket.next("console output");
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect([first.args?.[0], second.args?.[0]]).toEqual([expect.stringMatching(/> say late$/), expect.stringMatching(/Console: late$/)]);
      const logLines = (await env.client.logs.latest(server.id)).content.trimEnd().split("\n").length;
      socket.send("send logs");
      for (let i = 0; i < logLines; i++) await socket.next("console output");
      const after = await consoleStats(env.control);
      expect(after.framesIn - before.framesIn).toBe(1);
      expect(after.framesOut - before.framesOut).toBe(2 + logLines);
    });

    it("refuses a malformed fault with 400 naming the field", async () => {
      const res = await env.control.call<{ code: string; message: string }>("POST", "/_emulator/console/faults", {
        action: "close",
        code: 1006,
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^code must be a close code/);
    });
  });
});
