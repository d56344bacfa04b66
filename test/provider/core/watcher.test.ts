import { describe, expect, it } from "vitest";
import { FIRST_POLL_MS, Watcher } from "../../../provider/core/watcher.js";
import type { RateLimitRoom } from "../../../sdk/index.js";
import { cs2, recordingClock, useEmulator } from "../../helpers/emulator.js";

describe("the shared watcher", () => {
  const env = useEmulator();

  it("serves a wait that starts just as the previous one ends", async () => {
    await env.control.config({ capacity: { "eu-west-1": 0 } });
    const stuck = await env.client.gameServers.create(cs2("stuck", "eu-west-1"));
    const ready = await env.client.gameServers.create(cs2("ready"));
    const watcher = new Watcher(env.client, 10);
    // The second wait joins from the first one's timeout, settled in the same step in which the
    // poll loop runs out of waits: that loop is over and must not be mistaken for a running one.
    const second = await watcher.wait(stuck.id, { deadline: Date.now() + 30 }).then((first) => {
      expect(first.kind).toBe("timeout");
      return watcher.wait(ready.id, { deadline: Date.now() + 60_000 });
    });
    expect(second).toMatchObject({ kind: "running", server: { id: ready.id } });
  }, 5_000);

  it("ends a wait its signal aborts, and polls for it no more", async () => {
    await env.control.config({ capacity: { "eu-west-1": 0 } });
    const server = await env.client.gameServers.create(cs2("queued", "eu-west-1"));
    const watcher = new Watcher(env.client, 20);
    const stop = new AbortController();
    const outcome = watcher.wait(server.id, { deadline: Date.now() + 60_000, signal: stop.signal });
    await new Promise((r) => setTimeout(r, 300));
    stop.abort(new Error("no longer needed"));
    await expect(outcome).rejects.toThrow("no longer needed");
    const polls = async () => (await env.control.stats()).requests.byRoute["GET /v1/game-servers/events"] ?? 0;
    const after = await polls();
    expect(after).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    // At most the poll that was in flight when the wait ended.
    expect(await polls()).toBeLessThanOrEqual(after + 1);
    // An aborted signal ends a wait before it starts.
    await expect(watcher.wait(server.id, { deadline: Date.now() + 60_000, signal: stop.signal })).rejects.toThrow("no longer needed");
  });

  it("reports a server deleted while waited on as gone", async () => {
    await env.control.config({ capacity: { "eu-west-1": 0 } });
    const server = await env.client.gameServers.create(cs2("queued", "eu-west-1"));
    const watcher = new Watcher(env.client, 10);
    const outcome = watcher.wait(server.id, { deadline: Date.now() + 60_000 });
    await env.client.gameServers.delete(server.id);
    expect(await outcome).toEqual({ kind: "gone" });
  });

  it("polls again at once while servers are turning up: the last of a batch ends the wait", async () => {
    await env.control.config({ capacity: { "eu-west-1": 0 } });
    const ready = await env.client.gameServers.create(cs2("ready"));
    const stuck = await env.client.gameServers.create(cs2("stuck", "eu-west-1"));
    const clock = recordingClock(true);
    const sleeps = clock.slept;
    const watcher = new Watcher(env.client, 1_000, clock);
    const outcomes = await Promise.all([
      watcher.wait(ready.id, { deadline: Date.now() + 60_000 }),
      watcher.wait(stuck.id, { deadline: Date.now() + 400 }),
    ]);
    expect(outcomes.map((o) => o.kind)).toEqual(["running", "timeout"]);
    // The first poll ended one wait while the other went on: the next poll came 50 ms later,
    // not at the first pace.
    expect(sleeps.slice(0, 2)).toEqual([FIRST_POLL_MS, 50]);
  });

  it("keeps polling in bursts for at most a second while servers keep turning up one by one", async () => {
    await env.control.config({ bootDelayMs: 300 });
    const clock = recordingClock(true);
    const sleeps = clock.slept;
    const watcher = new Watcher(env.client, 1_000, clock);
    // Two hundred servers turn up about 12 ms apart: every poll for two seconds and more ends some waits.
    const waits: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      const server = await env.client.gameServers.create(cs2(`trickle-${i}`));
      waits.push(watcher.wait(server.id, { deadline: Date.now() + 60_000 }));
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(waits);
    let run = 0;
    let longest = 0;
    for (const ms of sleeps) {
      run = ms === 50 ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeGreaterThan(0);
    // A second of 50 ms polls at most (each takes some time too), then the first pace again.
    expect(longest).toBeLessThanOrEqual(20);
  });

  it("counts the list once: later reads start from the last page its previous answer gave", async () => {
    const watcher = new Watcher(env.client, 1_000);
    const lists = async () => (await env.control.stats()).requests.byRoute["GET /v1/game-servers"] ?? 0;
    for (let batch = 0; batch < 2; batch++) {
      const servers = await Promise.all(Array.from({ length: 5 }, (_, i) => env.client.gameServers.create(cs2(`batch-${batch}-${i}`))));
      await Promise.all(servers.map((s) => watcher.wait(s.id, { deadline: Date.now() + 60_000 })));
    }
    // One count, then one page for each batch of five.
    expect(await lists()).toBe(3);
  });

  it("under a rate limit, spreads its polls over what is left of the window instead of spending it early", async () => {
    await env.control.config({ capacity: { "eu-west-1": 0 } });
    const stuck = await env.client.gameServers.create(cs2("stuck", "eu-west-1"));
    // The client's view of the API's window, as another client's requests leave it.
    let room: RateLimitRoom | undefined = { remaining: 4, resetInMs: 800 };
    const client = new Proxy(env.client, {
      get: (target, key) => (key === "rateLimitRoom" ? room : Reflect.get(target, key)),
    });
    const clock = recordingClock();
    const watcher = new Watcher(client, 5_000, clock);
    const stop = new AbortController();
    const outcome = watcher.wait(stuck.id, { deadline: Date.now() + 60_000, signal: stop.signal });
    while (clock.slept.length < 3) await new Promise((r) => setTimeout(r, 5));
    // The first poll read the events and the server (two requests): four left for 800 ms, so the
    // next comes 400 ms later, not at the first pace; then one request each: 200 ms, less than the first pace.
    expect(clock.slept.slice(0, 3)).toEqual([FIRST_POLL_MS, 400, FIRST_POLL_MS]);
    // Less left than a poll costs: the next waits for the window's reset.
    room = { remaining: 0, resetInMs: 700 };
    const seen = clock.slept.length;
    while (clock.slept.length < seen + 2) await new Promise((r) => setTimeout(r, 5));
    expect(clock.slept.slice(seen, seen + 2)).toEqual([700, 700]);
    stop.abort(new Error("done"));
    await expect(outcome).rejects.toThrow("done");
  });
});
