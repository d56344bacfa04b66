import { setTimeout as sleep } from "node:timers/promises";
import { WebSocket } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import type { ConsoleStats } from "../../../sdk/emulator/console-faults.js";
import {
  APIConnectionError,
  AuthenticationError,
  type Clock,
  type ConsoleEvent,
  ConsoleFrameError,
  ConsoleReadOnlyError,
  ConsoleServerDeletedError,
  ConsoleServerSuspendedError,
  type ConsoleStream,
  GameServersClient,
  InsufficientScopeError,
  ProviderPermissionDeniedError,
} from "../../../sdk/index.js";
import { cs2, useEmulator } from "../../helpers/emulator.js";

const COMMAND_ROUTE = "POST /v1/hosting/game/console/:id/command";
const BOOTSTRAP_ROUTE = "/v1/hosting/game/console/:id/websocket";

/** A stream's events as they come, read by a background `for await`. */
class Recorder {
  readonly events: ConsoleEvent[] = [];
  readonly done: Promise<void>;

  constructor(readonly stream: ConsoleStream) {
    this.done = (async () => {
      for await (const event of stream) this.events.push(event);
    })();
  }

  lines(): string[] {
    return this.events.flatMap((e) => (e.type === "output" ? [e.line] : []));
  }

  of<T extends ConsoleEvent["type"]>(type: T): Extract<ConsoleEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<ConsoleEvent, { type: T }> => e.type === type);
  }

  /** Waits until `check` holds, polling; fails with what was seen. */
  async until(what: string, check: () => boolean, ms = 4000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events.slice(-12))}`);
      await sleep(10);
    }
  }

  /** Waits for the console lines of `say <word>` (the echo and the answer). */
  said(words: string[], ms?: number): Promise<void> {
    return this.until(`the lines of ${words.length} commands`, () => words.every((w) => this.count(`Console: ${w}`) >= 1), ms);
  }

  /** How many delivered lines end with `suffix`. */
  count(suffix: string): number {
    return this.lines().filter((l) => l.endsWith(suffix)).length;
  }

  closed(): Extract<ConsoleEvent, { type: "closed" }> | undefined {
    return this.of("closed")[0];
  }
}

/** Every command's echo and answer arrived exactly once. */
function expectEachOnce(rec: Recorder, words: string[]): void {
  const counts = words.map((w) => [w, rec.count(`> say ${w}`), rec.count(`Console: ${w}`)]);
  expect(counts).toEqual(words.map((w) => [w, 1, 1]));
  expect(new Set(rec.lines()).size).toBe(rec.lines().length);
}

const words = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

describe("client.console.connect", () => {
  const env = useEmulator();
  const streams: ConsoleStream[] = [];
  afterEach(async () => {
    await Promise.all(streams.splice(0).map((s) => s.close()));
  });

  async function consoleStats(): Promise<ConsoleStats> {
    return (await env.control.call<ConsoleStats>("GET", "/_emulator/console/stats")).body;
  }

  async function consoleFault(fault: Record<string, unknown>): Promise<void> {
    const res = await env.control.call("POST", "/_emulator/console/faults", fault);
    if (res.status !== 201) throw new Error(`console fault failed: ${JSON.stringify(res.body)}`);
  }

  async function open(name: string, client: GameServersClient = env.client, options = {}) {
    const server = await env.client.gameServers.create(cs2(name));
    const stream = client.console.connect(server.id, options);
    streams.push(stream);
    const rec = new Recorder(stream);
    return { server, stream, rec };
  }

  async function say(serverId: string, list: string[]): Promise<void> {
    for (const w of list) await env.client.console.sendCommand(serverId, `say ${w}`);
  }

  it("authenticates, replays the recent lines once and streams new ones", async () => {
    const { server, stream, rec } = await open("hello");
    await stream.ready;
    expect(stream.readOnly).toBe(false);
    await rec.until("the replay", () => rec.lines().some((l) => l.includes("Server started: hello")));
    await say(server.id, ["one", "two"]);
    await rec.said(["one", "two"]);
    expectEachOnce(rec, ["one", "two"]);
    expect(rec.events.slice(0, 2)).toEqual([{ type: "authenticated" }, { type: "status", status: "running" }]);
    await stream.close();
    expect(rec.events.at(-1)).toEqual({ type: "closed", reason: "closed" });
    expect((await consoleStats()).replays).toBe(1);
  });

  /** Logs `say <prefix>N` every `everyMs` while `whileFor` ms pass (two lines each); the words sent. */
  async function chatter(serverId: string, prefix: string, everyMs: number, whileFor: number): Promise<string[]> {
    const sent: string[] = [];
    const until = Date.now() + whileFor;
    while (Date.now() < until) {
      const w = `${prefix}${sent.length + 1}`;
      sent.push(w);
      void env.client.console.sendCommand(serverId, `say ${w}`);
      await sleep(everyMs);
    }
    return sent;
  }

  /** Lines delivered more than once. */
  const twice = (lines: string[]) => lines.filter((l, i) => lines.indexOf(l) !== i).length;

  // The first figure: with the first frame 300 ms late and a line every 100 ms, the lines
  // logged meanwhile came before the replay and again in it (32 of 52 lines twice in the CLI).
  it("hands each line of the opening replay once when live lines come before it (first frame 300 ms late)", async () => {
    const server = await env.client.gameServers.create(cs2("slow-link"));
    await say(server.id, words("old", 5));
    await consoleFault({ action: "delay", delayMs: 300, frames: 1, serverId: server.id });
    const stream = env.client.console.connect(server.id);
    streams.push(stream);
    const rec = new Recorder(stream);
    const sent = await chatter(server.id, "live", 100, 2_600);
    await rec.said(sent, 8_000);
    expect(twice(rec.lines())).toBe(0);
    expectEachOnce(rec, [...words("old", 5), ...sent]);
    expect(rec.of("resumed")).toEqual([]);
    // In the log's order: the replay's old lines first.
    expect(rec.lines().findIndex((l) => l.endsWith("Console: old5"))).toBeLessThan(
      rec.lines().findIndex((l) => l.endsWith("Console: live1")),
    );
  });

  // The second: on loopback with a line every 5 ms, most starts handed some lines twice.
  it("hands each line once over 8 starts on loopback with a line every 5 ms", async () => {
    const server = await env.client.gameServers.create(cs2("chatty"));
    const duplicated: number[] = [];
    for (let start = 1; start <= 8; start++) {
      const stream = env.client.console.connect(server.id);
      streams.push(stream);
      const rec = new Recorder(stream);
      const sent = await chatter(server.id, `s${start}x`, 5, 250);
      await rec.said(sent, 8_000);
      await stream.close();
      duplicated.push(twice(rec.lines()));
    }
    expect(duplicated).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("survives three token refreshes on one socket with every line exactly once", async () => {
    await env.control.config({ tokenTtlMs: 1000 }); // warned 250 ms ahead: a refresh every ~750 ms
    const { server, stream, rec } = await open("refresh");
    await stream.ready;
    const sent: string[] = [];
    let n = 0;
    while (rec.of("token-refreshed").length < 3) {
      const w = `n${++n}`;
      await env.client.console.sendCommand(server.id, `say ${w}`);
      sent.push(w);
      await sleep(20);
      if (n > 400) throw new Error("no three refreshes");
    }
    await say(server.id, ["last"]);
    sent.push("last");
    await rec.said(sent);
    expectEachOnce(rec, sent);
    const stats = await consoleStats();
    expect({ sockets: stats.socketsOpened, closes: stats.closesSent }).toEqual({ sockets: 1, closes: {} });
    expect(stats.refreshes).toBeGreaterThanOrEqual(3);
    expect(rec.of("reconnecting")).toEqual([]);
    expect(rec.of("resumed")).toEqual([]); // refreshed ahead of expiry: no line was ever dropped
    expect(rec.of("error")).toEqual([]);
  });

  it("reconnects after a dropped socket and resumes without duplicates or losses", async () => {
    const { server, stream, rec } = await open("drop");
    await stream.ready;
    await say(server.id, words("a", 5));
    await rec.said(words("a", 5));
    // The next bootstrap is slow, so these lines are logged while no socket is open.
    await env.control.fault({ method: "GET", route: BOOTSTRAP_ROUTE, times: 1, delayMs: 300 });
    await consoleFault({ action: "drop" });
    await say(server.id, words("b", 5));
    await rec.said(words("b", 5));
    expectEachOnce(rec, [...words("a", 5), ...words("b", 5)]);
    expect(rec.of("reconnecting")).toEqual([
      { type: "reconnecting", attempt: 1, delayMs: expect.any(Number), reason: expect.stringMatching(/1006/) },
    ]);
    expect(rec.of("resumed")).toEqual([{ type: "resumed", mayHaveMissedLines: false }]);
    expect(env.clock.slept).toEqual([rec.of("reconnecting")[0]!.delayMs]);
    const stats = await consoleStats();
    expect({ opened: stats.socketsOpened, replays: stats.replays, drops: stats.drops }).toEqual({ opened: 2, replays: 2, drops: 1 });
    await say(server.id, ["after"]);
    await rec.said(["after"]);
    expect(rec.count("Console: after")).toBe(1);
  });

  it("says lines may be missing when more were logged during a drop than the replay holds", async () => {
    // The reconnect waits (its backoff's sleep) until every line is logged, however slow the
    // machine: its replay then holds only the last 100 lines.
    let allLogged!: () => void;
    const logged = new Promise<void>((resolve) => {
      allLogged = resolve;
    });
    const clock: Clock = {
      now: () => Date.now(),
      sleep: (_ms, signal) =>
        new Promise<void>((resolve, reject) => {
          void logged.then(resolve);
          signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
        }),
    };
    const gated = new GameServersClient({ apiKey: env.emulator.apiKey, baseUrl: env.emulator.url, clock });
    const { server, stream, rec } = await open("gap", gated);
    try {
      await stream.ready;
      await say(server.id, ["before"]);
      await rec.said(["before"]);
      await consoleFault({ action: "drop" });
      const many = words("g", 60); // 120 lines: more than the 100 replayed
      await say(server.id, many);
      allLogged();
      await rec.said(many.slice(-10));
      expect(rec.of("resumed")).toEqual([{ type: "resumed", mayHaveMissedLines: true }]);
      expect(rec.count("Console: g1")).toBe(0); // beyond the replay: lost, and said so
      expectEachOnce(rec, ["before", ...many.slice(-49)]);
    } finally {
      await stream.close();
      await gated.close();
    }
  });

  it("refreshes on a jwt error alone and recovers the lines dropped while expired", async () => {
    const { server, stream, rec } = await open("jwt");
    await stream.ready;
    await say(server.id, ["kept"]);
    await rec.said(["kept"]);
    await consoleFault({ action: "expire", announce: false });
    await say(server.id, ["dropped"]); // the emulator drops these, sending jwt error instead
    await rec.said(["dropped"]);
    await say(server.id, ["later"]);
    await rec.said(["later"]);
    expectEachOnce(rec, ["kept", "dropped", "later"]);
    expect(rec.of("token-refreshed")).toHaveLength(1);
    expect(rec.of("resumed")).toEqual([{ type: "resumed", mayHaveMissedLines: false }]);
    const stats = await consoleStats();
    expect({ opened: stats.socketsOpened, refreshes: stats.refreshes, replays: stats.replays }).toEqual({
      opened: 1,
      refreshes: 1,
      replays: 2,
    });
  });

  it("gives a read-only key a read-only stream whose send fails before anything is sent", async () => {
    const readOnly = env.clientWith(await env.control.key("org_demo", ["game-console:read"]));
    const { server, stream, rec } = await open("ro", readOnly);
    await stream.ready;
    expect(stream.readOnly).toBe(true);
    expect(rec.events[0]).toEqual({ type: "authenticated" });
    const before = await consoleStats();
    const error = await stream.send("say hi").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConsoleReadOnlyError);
    expect((error as Error).message).toMatch(/game-console:read_write/);
    const after = await consoleStats();
    expect({ framesIn: after.framesIn - before.framesIn, commands: after.commands }).toEqual({ framesIn: 0, commands: 0 });
    expect(await env.control.hits(COMMAND_ROUTE)).toBe(0);
    // It still streams.
    await say(server.id, ["watched"]);
    await rec.said(["watched"]);
  });

  it("sends commands on a read-write stream", async () => {
    const { stream, rec } = await open("rw");
    await stream.ready;
    await stream.send("say via stream");
    await rec.until("the answer", () => rec.count("Console: via stream") === 1);
    expect(await env.control.hits(COMMAND_ROUTE)).toBe(1);
  });

  it("rejects ready with InsufficientScopeError for a key without a console scope", async () => {
    const logsOnly = env.clientWith(await env.control.key("org_demo", ["game-logs:read"]));
    const { stream, rec } = await open("scope", logsOnly);
    await expect(stream.ready).rejects.toBeInstanceOf(InsufficientScopeError);
    await rec.done;
    expect(rec.events).toEqual([
      { type: "closed", reason: expect.stringMatching(/insufficient_scope/), error: expect.any(InsufficientScopeError) },
    ]);
    expect((await consoleStats()).socketsOpened).toBe(0);
  });

  it("rejects send with ProviderPermissionDeniedError when the server is not running", async () => {
    await env.control.config({ bootDelayMs: 60_000 });
    const { stream, rec } = await open("booting");
    await stream.ready;
    await rec.until("the status", () => rec.of("status").length === 1);
    expect(rec.of("status")).toEqual([{ type: "status", status: "allocating" }]);
    await expect(stream.send("status")).rejects.toBeInstanceOf(ProviderPermissionDeniedError);
  });

  it("ends with AuthenticationError when the key is revoked and the token must be refreshed", async () => {
    const apiKey = await env.control.key("org_demo", ["game-console:read_write"]);
    const { stream, rec } = await open("revoked", env.clientWith(apiKey));
    await stream.ready;
    await env.control.call("POST", "/_emulator/keys/revoke", { apiKey });
    await consoleFault({ action: "expire" });
    await rec.done;
    expect(rec.closed()?.error).toBeInstanceOf(AuthenticationError);
    expect(rec.of("reconnecting")).toEqual([]);
    // A new stream with that key fails at once.
    const again = env.clientWith(apiKey).console.connect(stream.serverId);
    streams.push(again);
    await expect(again.ready).rejects.toBeInstanceOf(AuthenticationError);
  });

  it("ends with a typed error on close codes 4004 (deleted) and 4003 (suspended)", async () => {
    const deleted = await open("deleted");
    await deleted.stream.ready;
    await env.client.gameServers.delete(deleted.server.id);
    await deleted.rec.done;
    expect(deleted.rec.closed()).toEqual({
      type: "closed",
      reason: "closed by the server: 4004 server deleted",
      error: expect.any(ConsoleServerDeletedError),
    });
    expect(deleted.rec.of("status").at(-1)).toEqual({ type: "status", status: "stopped" });

    const suspended = await open("suspended");
    await suspended.stream.ready;
    await consoleFault({ action: "close", code: 4003, reason: "server suspended" });
    await suspended.rec.done;
    expect(suspended.rec.closed()?.error).toBeInstanceOf(ConsoleServerSuspendedError);
    expect(suspended.rec.closed()?.error).toMatchObject({ closeCode: 4003, closeReason: "server suspended" });
    expect(suspended.rec.of("reconnecting")).toEqual([]);
  });

  it("turns a malformed frame into an error event and goes on", async () => {
    const { server, stream, rec } = await open("garbage");
    await stream.ready;
    await consoleFault({ action: "garbage" });
    await consoleFault({ action: "garbage", frame: "}{" });
    await rec.until("two errors", () => rec.of("error").length === 2);
    const [wrongShape, notJson] = rec.of("error").map((e) => e.error);
    expect(wrongShape).toBeInstanceOf(ConsoleFrameError);
    expect((wrongShape as ConsoleFrameError).field).toBe("args[0]");
    expect(notJson?.message).toMatch(/not JSON/);
    await say(server.id, ["still"]);
    await rec.said(["still"]);
    expect(rec.of("reconnecting")).toEqual([]);
  });

  it("keeps streaming while another socket is closed for a 64 KiB+ frame (1009)", async () => {
    const { server, stream, rec } = await open("big");
    await stream.ready;
    const boot = await env.client.console.bootstrap(server.id);
    const bad = new WebSocket(boot.socketUrl);
    const code = await new Promise<number>((resolve) => {
      bad.addEventListener("open", () => bad.send("x".repeat(70_000)));
      bad.addEventListener("close", (e) => resolve(e.code));
    });
    expect(code).toBe(1009);
    await say(server.id, ["alive"]);
    await rec.said(["alive"]);
    expect((await consoleStats()).closesSent).toEqual({ 1009: 1 });
  });

  it("gives up after maxReconnects with an APIConnectionError", async () => {
    const { stream, rec } = await open("giveup", env.client, { maxReconnects: 2 });
    await stream.ready;
    await env.control.fault({ method: "GET", route: BOOTSTRAP_ROUTE, times: 100, status: 503 });
    await consoleFault({ action: "drop" });
    await rec.done;
    expect(rec.of("reconnecting").map((e) => e.attempt)).toEqual([1, 2]);
    expect(rec.closed()).toEqual({
      type: "closed",
      reason: "gave up after 2 reconnect attempts",
      error: expect.any(APIConnectionError),
    });
  });

  it("closes on abort; close() is idempotent; iterating after close ends", async () => {
    const abort = new AbortController();
    const { stream, rec } = await open("abort", env.client, { signal: abort.signal });
    await stream.ready;
    abort.abort();
    await rec.done;
    expect(rec.events.at(-1)).toEqual({ type: "closed", reason: "aborted" });
    await stream.close();
    await stream.close();
    expect(rec.of("closed")).toHaveLength(1);
    const after: ConsoleEvent[] = [];
    for await (const e of stream) after.push(e);
    expect(after).toEqual([]);
    await expect(stream.send("say late")).rejects.toThrow(/closed/);
    await sleep(50);
    expect((await consoleStats()).socketsOpen).toBe(0);
  });

  it("rejects ready when closed before it was ready, and a break out of for-await closes", async () => {
    const server = await env.client.gameServers.create(cs2("early"));
    const early = env.client.console.connect(server.id);
    streams.push(early);
    await early.close();
    await expect(early.ready).rejects.toThrow(/closed/);

    const stream = env.client.console.connect(server.id);
    streams.push(stream);
    for await (const e of stream) if (e.type === "authenticated") break;
    const rest: ConsoleEvent[] = [];
    for await (const e of stream) rest.push(e);
    expect(rest.at(-1)).toEqual({ type: "closed", reason: "closed" });
  });
});
