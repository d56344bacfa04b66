import { describe, expect, it } from "vitest";
import { Watcher } from "../provider/watcher.js";
import { cs2, useEmulator } from "./helpers/emulator.js";

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

  it("reports a server deleted while waited on as gone", async () => {
    await env.control.config({ capacity: { "eu-west-1": 0 } });
    const server = await env.client.gameServers.create(cs2("queued", "eu-west-1"));
    const watcher = new Watcher(env.client, 10);
    const outcome = watcher.wait(server.id, { deadline: Date.now() + 60_000 });
    await env.client.gameServers.delete(server.id);
    expect(await outcome).toEqual({ kind: "gone" });
  });
});
