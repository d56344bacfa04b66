import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { ConsoleStream } from "../../../sdk/index.js";
import { cs2, useEmulator } from "../../helpers/emulator.js";

/** CS2's `players :` line (1.40 builds print `players :`, 1.41 builds `players  :`). */
const PLAYERS_LINE = /players\s*: (\d+) humans, (\d+) bots \((\d+) max\) \(not hibernating\) \(unreserved\)/g;

describe("emulator: players", () => {
  const env = useEmulator();

  /** Runs `status` through the console API and returns what it printed, from the server's log. */
  async function status(serverId: string): Promise<string> {
    await env.client.console.sendCommand(serverId, "status");
    const log = (await env.client.logs.latest(serverId)).content;
    return log.slice(log.lastIndexOf("> status"));
  }

  /** The humans count of the `players :` line of a `status` output. */
  function humans(output: string): number {
    const matches = [...output.matchAll(PLAYERS_LINE)];
    expect(matches).toHaveLength(1);
    return Number(matches[0]![1]);
  }

  /** Collects a live console stream's output lines until `close`. */
  function record(stream: ConsoleStream) {
    const lines: string[] = [];
    const done = (async () => {
      for await (const event of stream) if (event.type === "output") lines.push(event.line);
    })();
    return {
      lines,
      done,
      async until(what: string, test: (lines: string[]) => boolean): Promise<void> {
        for (let i = 0; i < 200 && !test(lines); i++) await sleep(10);
        if (!test(lines)) throw new Error(`no ${what} in ${JSON.stringify(lines)}`);
      },
    };
  }

  it("status counts 2 connected humans and lists a row per player", async () => {
    const server = await env.client.gameServers.create(cs2("two"));
    const answer = await env.control.connect(server.id, ["alice", "bob"]);
    expect(answer).toMatchObject({ serverId: server.id, count: 2 });
    expect(answer.players.map((p) => [p.name, p.userId])).toEqual([
      ["alice", 2],
      ["bob", 3],
    ]);
    expect(answer.players[0]!.address).toMatch(/^203\.0\.113\.\d+:27005$/);
    const out = await status(server.id);
    expect(humans(out)).toBe(2);
    expect(out).toMatch(/players : 2 humans, 0 bots \(10 max\) \(not hibernating\) \(unreserved\)\n/);
    expect(out).toMatch(/\] {3}id {5}time ping loss {6}state {3}rate adr name\n/);
    expect(out).toMatch(/\] {4}2 {4}00:\d\d +\d+ +0 +active 786432 203\.0\.113\.\d+:27005 'alice'\n/);
    expect(out).toMatch(/\] {4}3 {4}00:\d\d +\d+ +0 +active 786432 203\.0\.113\.\d+:27005 'bob'\n/);
    expect(out).toMatch(/\] #end\n$/);
  });

  it("status counts 0 humans once they disconnect, and logs both in CS2's words", async () => {
    const server = await env.client.gameServers.create(cs2("leave"));
    expect(humans(await status(server.id))).toBe(0);
    const { players } = await env.control.connect(server.id, ["alice", "bob"]);
    expect((await env.control.disconnect(server.id, ["alice"])).players.map((p) => p.name)).toEqual(["bob"]);
    expect(humans(await status(server.id))).toBe(1);
    expect(await env.control.disconnect(server.id, "all")).toEqual({ serverId: server.id, count: 0, players: [] });
    const out = await status(server.id);
    expect(humans(out)).toBe(0);
    expect(out).not.toMatch(/'alice'|'bob'/);
    const log = (await env.client.logs.latest(server.id)).content;
    const stamped = (text: string) => new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\] ${text.replace(/[.()]/g, "\\$&")}$`, "m");
    expect(log).toMatch(stamped(`Client "alice" connected (${players[0]!.address}).`));
    expect(log).toMatch(stamped(`Client "bob" connected (${players[1]!.address}).`));
    expect(log).toMatch(stamped("Dropped alice from server: Disconnect"));
    expect(log).toMatch(stamped("Dropped bob from server: Disconnect"));
  });

  it("connects a count of players named player1, player2, ... after the names taken", async () => {
    const server = await env.client.gameServers.create(cs2("count"));
    await env.control.connect(server.id, ["player2"]);
    const { players } = await env.control.connect(server.id, 3);
    expect(players.map((p) => p.name)).toEqual(["player2", "player1", "player3", "player4"]);
    expect(humans(await status(server.id))).toBe(4);
    expect(await env.control.players(server.id)).toEqual({ serverId: server.id, count: 4, players });
  });

  it("swaps players on a full server in one request, disconnects first", async () => {
    const server = await env.client.gameServers.create({ ...cs2("full"), configuration: { ...cs2("full").configuration, maxPlayers: 2 } });
    await env.control.connect(server.id, ["alice", "bob"]);
    const res = await env.control.call("POST", `/_emulator/servers/${server.id}/players`, { connect: ["carol"] });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: "CONFLICT", message: `connect: server ${server.id} is full (2 connected, 1 joining, 2 max)` });
    const swapped = await env.control.call<{ players: { name: string }[] }>("POST", `/_emulator/servers/${server.id}/players`, {
      disconnect: ["alice"],
      connect: ["carol"],
    });
    expect(swapped.status).toBe(200);
    expect(swapped.body.players.map((p) => p.name)).toEqual(["bob", "carol"]);
    expect(await status(server.id)).toMatch(/players : 2 humans, 0 bots \(2 max\)/);
  });

  it("streams connects and disconnects to the live console as they happen", async () => {
    const server = await env.client.gameServers.create(cs2("live"));
    const stream = env.client.console.connect(server.id, { replay: false });
    const rec = record(stream);
    await stream.ready;
    await env.control.connect(server.id, ["alice"]);
    await rec.until("connect line", (lines) => lines.some((l) => /\] Client "alice" connected \(203\.0\.113\.\d+:27005\)\.$/.test(l)));
    await env.control.disconnect(server.id, ["alice"]);
    await rec.until("drop line", (lines) => lines.some((l) => /\] Dropped alice from server: Disconnect$/.test(l)));
    await stream.close();
    await rec.done;
  });

  it("a stop drops every player before the stop line, and a stopped server takes none", async () => {
    const server = await env.client.gameServers.create(cs2("stop"));
    await env.control.connect(server.id, ["alice", "bob"]);
    await env.control.stop(server.id);
    expect(await env.control.players(server.id)).toEqual({ serverId: server.id, count: 0, players: [] });
    const log = (await env.client.logs.latest(server.id)).content.split("\n");
    const at = (text: string) => log.findIndex((l) => l.endsWith(`] ${text}`));
    expect(at("Dropped alice from server: Server shutting down")).toBeGreaterThan(0);
    expect(at("Dropped bob from server: Server shutting down")).toBeGreaterThan(at("Dropped alice from server: Server shutting down"));
    expect(at("Server stopped")).toBeGreaterThan(at("Dropped bob from server: Server shutting down"));
    const res = await env.control.call("POST", `/_emulator/servers/${server.id}/players`, { connect: ["carol"] });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      code: "CONFLICT",
      message: `Game server ${server.id} is stopped: only a running server can have players`,
    });
  });

  it("a delete drops every player, streamed before the socket closes", async () => {
    const server = await env.client.gameServers.create(cs2("delete"));
    await env.control.connect(server.id, ["alice"]);
    const stream = env.client.console.connect(server.id, { replay: false });
    const rec = record(stream);
    await stream.ready;
    await env.client.gameServers.delete(server.id);
    await rec.done;
    expect(rec.lines.some((l) => l.endsWith("] Dropped alice from server: Server shutting down"))).toBe(true);
    expect(await env.control.players(server.id)).toEqual({ serverId: server.id, count: 0, players: [] });
    const res = await env.control.call("POST", `/_emulator/servers/${server.id}/players`, { connect: ["alice"] });
    expect(res.status).toBe(404);
  });

  it("a server with players is not idle for autoStop; its idle time starts when the last one leaves", async () => {
    const busy = await env.client.gameServers.create({ ...cs2("busy"), autoStop: true, autostopMinutes: 1 });
    const empty = await env.client.gameServers.create({ ...cs2("empty"), autoStop: true, autostopMinutes: 1 });
    await env.control.connect(busy.id, ["alice"]);
    await env.control.config({ clockScale: 600 }); // 1 real second = 10 emulated minutes
    await sleep(150);
    expect((await env.client.gameServers.get(empty.id)).status).toBe("stopped");
    expect((await env.client.gameServers.get(busy.id)).status).toBe("running");
    await env.control.config({ clockScale: 1 });
    await env.control.disconnect(busy.id, "all");
    // Just left: a minute of idle time has not passed yet on the real-speed clock.
    expect((await env.client.gameServers.get(busy.id)).status).toBe("running");
    await env.control.config({ clockScale: 600 });
    await sleep(150);
    expect((await env.client.gameServers.get(busy.id)).status).toBe("stopped");
    expect((await env.client.logs.latest(busy.id)).content).toMatch(
      /Dropped alice from server: Disconnect\n.*Server stopped after 1 idle minutes/,
    );
  });

  it("refuses a server that is not running, an unknown one, and names already taken or absent", async () => {
    await env.control.config({ capacity: { "ap-south-1": 0 } });
    const queued = await env.client.gameServers.create(cs2("queued", "ap-south-1"));
    const server = await env.client.gameServers.create(cs2("named"));
    await env.control.connect(server.id, ["alice"]);
    const post = (id: string, body: unknown) => env.control.call("POST", `/_emulator/servers/${id}/players`, body);
    expect(await post(queued.id, { connect: ["alice"] })).toMatchObject({
      status: 409,
      body: { code: "CONFLICT", message: `Game server ${queued.id} is pending: only a running server can have players` },
    });
    expect(await post("srv_nope", { connect: ["alice"] })).toMatchObject({ status: 404, body: { code: "NOT_FOUND" } });
    expect((await env.control.call("GET", "/_emulator/servers/srv_nope/players")).status).toBe(404);
    expect(await post(server.id, { connect: ["alice"] })).toMatchObject({
      status: 409,
      body: { message: `connect: alice is already connected to ${server.id}` },
    });
    expect(await post(server.id, { disconnect: ["bob"] })).toMatchObject({
      status: 409,
      body: { message: `disconnect: bob is not connected to ${server.id}` },
    });
    // Nothing of a refused request is applied: alice stays when 11 cannot join her 10-player server.
    expect(await post(server.id, { disconnect: ["alice"], connect: 11 })).toMatchObject({
      status: 409,
      body: { message: `connect: server ${server.id} is full (0 connected, 11 joining, 10 max)` },
    });
    expect((await env.control.players(server.id)).players.map((p) => p.name)).toEqual(["alice"]);
  });

  it.each([
    [{}, "(body)", "must set connect, disconnect or both"],
    [{ kick: ["alice"] }, "(body)", 'Unrecognized key: "kick"'],
    [{ connect: [] }, "connect", "must name at least one player"],
    [{ connect: ["alice", "alice"] }, "connect.1", "alice is listed twice"],
    [{ connect: ["al'ice"] }, "connect.0", "must not contain quotes or control characters"],
    [{ connect: ["a".repeat(33)] }, "connect.0", "must be 1 to 32 characters"],
    [{ connect: "alice" }, "connect", "must be a list of player names or a count from 1 to 64"],
    [{ connect: 0 }, "connect", "Too small: expected number to be >=1"],
    [{ disconnect: "everyone" }, "disconnect", 'must be a list of player names or "all"'],
  ])("answers 400 naming the bad field for %j", async (body, path, message) => {
    const server = await env.client.gameServers.create(cs2("bad"));
    const res = await env.control.call<{ details: unknown[] }>("POST", `/_emulator/servers/${server.id}/players`, body);
    expect(res).toMatchObject({ status: 400, body: { code: "INVALID_PARAMS", message: `${path} ${message}` } });
    expect(res.body.details[0]).toEqual({ path, message });
  });
});
