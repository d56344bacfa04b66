import { beforeAll, describe, expect, it } from "vitest";
import { CS2_CONFIGURATION_DEFAULTS } from "../../../sdk/schemas/index.js";
import { CS2_CONFIG, cs2, useEmulator } from "../../helpers/emulator.js";
import { HostError, ProviderHost, ROOT, serializedProvider, UNKNOWN, useProviderHost } from "../../helpers/provider-host.js";

const { rconPassword: _rcon, ...CONFIGURATION } = CS2_CONFIG;

/** GameServer inputs as the program sends them (the class adds autoNamePrefix = the resource name). */
function args(name: string, extra: Record<string, unknown> = {}) {
  return { autoNamePrefix: name, gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION, ...extra };
}

describe("GameServer through Pulumi's dynamic-provider host", () => {
  const env = useEmulator({ apiKey: "gsk_emu_host_test_key_0123456789" });
  const fixture = useProviderHost(env);
  let provider: string;
  beforeAll(async () => {
    provider = await serializedProvider();
  });

  /** check then create, as `pulumi up` does for a new resource. */
  async function up(name: string, news: Record<string, unknown>) {
    const { inputs, failures } = await fixture.host.check(name, {}, { ...news, __provider: provider });
    expect(failures).toEqual([]);
    const created = await fixture.host.create(name, inputs);
    return { ...created, inputs };
  }

  it("creates a running server and returns the complete outputs", async () => {
    const { id, outs, inputs } = await up("match-1", args("match-1"));
    expect(id).toMatch(/^srv_/);
    expect(inputs.name).toMatch(/^match-1-[0-9a-f]{7}$/);
    expect(outs).toMatchObject({
      serverId: id,
      name: inputs.name,
      status: "running",
      gameType: "cs2",
      region: "eu-central-1",
      allocationAttempts: 0,
      queuedAt: null,
      waitForRunning: true,
      readyTimeoutSeconds: 600,
      __provider: provider,
    });
    expect(outs.connectUrl).toBe(`steam://connect/${outs.ip}:${outs.port}`);
    expect(outs.rconPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    // As the server reports it: the API fills in the optional fields the program left out.
    expect(outs.configuration).toEqual({ ...CS2_CONFIGURATION_DEFAULTS, ...CONFIGURATION });
    expect(outs.declaredConfiguration).toEqual(Object.keys(CONFIGURATION).sort());
    expect(Object.values(outs)).not.toContain(undefined);
    expect(fixture.host.output).toMatch(new RegExp(`\\[gameservers\\] GameServer "${inputs.name}" \\(${id}\\): running at steam://`));
  });

  it("validates in check with one failure per bad property, and accepts unknowns in preview without calling the API", async () => {
    const bad = await fixture.host.check(
      "x",
      {},
      {
        ...args("x"),
        region: "Europe",
        configuration: { ...CONFIGURATION, startingMap: "de_nuke", maxPlayers: 200, rconPassword: "in-config!" },
        __provider: provider,
      },
    );
    expect(bad.failures).toEqual(
      expect.arrayContaining([
        { property: "region", reason: "region must be an AWS region code such as us-east-1" },
        {
          property: "configuration",
          reason: expect.stringMatching(/^configuration\.rconPassword is not accepted here: set the rconPassword input/),
        },
        { property: "configuration", reason: expect.stringMatching(/^configuration\.maxPlayers /) },
        { property: "configuration", reason: "configuration.startingMap must be one of mapPool (de_dust2, de_mirage)" },
      ]),
    );
    const missing = await fixture.host.check("x", {}, { autoNamePrefix: "x", gameType: "cs2", __provider: provider });
    expect(missing.failures.map((f) => f.property).sort()).toEqual(["configuration", "region"]);

    const preview = await fixture.host.check(
      "x",
      {},
      {
        ...args("x"),
        region: UNKNOWN,
        configuration: { ...CONFIGURATION, startingMap: UNKNOWN, mapPool: UNKNOWN },
        rconPassword: UNKNOWN,
        __provider: provider,
      },
    );
    expect(preview.failures).toEqual([]);
    expect(preview.inputs.region).toBe(UNKNOWN);
    expect((await env.control.stats()).requests.total).toBe(0);
  });

  it("keeps an auto-generated name stable across checks", async () => {
    const first = await fixture.host.check("web", {}, { ...args("web"), __provider: provider });
    const second = await fixture.host.check("web", first.inputs, { ...args("web"), __provider: provider });
    expect(second.inputs.name).toBe(first.inputs.name);
    const explicit = await fixture.host.check("web", first.inputs, { ...args("web"), name: "Finals A", __provider: provider });
    expect(explicit.inputs.name).toBe("Finals A");
    expect(explicit.inputs).not.toHaveProperty("autoNamePrefix");
  });

  it("waits through a queued allocation until the server runs, printing each status change", async () => {
    await env.control.config({ capacity: { "eu-central-1": 0 }, queueIntervalMs: 60 });
    const freeUp = setTimeout(() => void env.control.config({ capacity: { "eu-central-1": 1 } }), 150);
    const { outs, inputs } = await up("queued", args("queued"));
    clearTimeout(freeUp);
    expect(outs).toMatchObject({ status: "running", allocationAttempts: expect.any(Number) });
    expect(outs.queuedAt).not.toBeNull();
    expect(fixture.host.output).toMatch(new RegExp(`GameServer "${inputs.name}" \\(srv_[^)]+\\): pending; waiting up to 600 s`));
    expect(fixture.host.output).toMatch(/pending -> running \(\d+ s, allocation attempt \d\)/);
  });

  it("fails after 3 allocation attempts and leaves nothing behind", async () => {
    await env.control.config({ capacity: { "eu-central-1": 0 }, queueIntervalMs: 20 });
    const { inputs } = await fixture.host.check("doomed", {}, { ...args("doomed"), __provider: provider });
    const error = (await fixture.host.create("doomed", inputs).catch((e: unknown) => e)) as HostError;
    expect(error).toBeInstanceOf(HostError);
    expect(error.initFailure).toBeUndefined(); // a plain error: the engine records nothing
    expect(error.message).toMatch(
      /is failed after 3 allocation attempts: No capacity available in eu-central-1 \(attempt 3 of 3\)\. The failed server was deleted; nothing is left behind\./,
    );
    const all = await env.client.gameServers.list({ includeDeleted: true });
    expect(all.items).toHaveLength(1);
    expect(all.items[0]!.deletedAt).not.toBeNull();
    expect((await env.control.stats()).servers.byStatus).toEqual({});
  });

  it("keeps a server still pending at the deadline in state, and update resumes the wait", async () => {
    await env.control.config({ capacity: { "eu-central-1": 0 }, queueIntervalMs: 3_600_000 });
    const { inputs } = await fixture.host.check("slow", {}, { ...args("slow", { readyTimeoutSeconds: 1 }), __provider: provider });
    const error = (await fixture.host.create("slow", inputs).catch((e: unknown) => e)) as HostError;
    const failure = error.initFailure!;
    expect(failure.id).toMatch(/^srv_/);
    expect(failure.reasons[0]).toMatch(
      /is still pending after 1 s \(readyTimeoutSeconds\)\. It stays in the stack, and the next `pulumi up` resumes waiting/,
    );
    expect(failure.properties).toMatchObject({
      serverId: failure.id,
      status: "pending",
      rconPassword: null,
      serverPassword: null,
      __provider: provider,
    });

    // The next `pulumi up`: the engine calls update even without a diff. Capacity is back.
    await env.control.config({ capacity: { "eu-central-1": 1 }, queueIntervalMs: 30 });
    const diff = await fixture.host.diff("slow", failure.id, failure.properties, inputs);
    expect(diff.changes).toBe("none");
    const outs = await fixture.host.update("slow", failure.id, failure.properties, inputs);
    expect(outs).toMatchObject({ serverId: failure.id, status: "running", __provider: provider });
    expect(outs.rconPassword).toMatch(/.{24}/);
    expect((await env.client.gameServers.list()).total).toBe(1);
  });

  it("reconciles a lost create response by what the POST sent, without a second server", async () => {
    await env.control.fault({ method: "POST", route: "/v1/game-servers", times: 1, commitThenFail: true });
    const { id, outs, inputs } = await up("lost", args("lost"));
    const all = await env.client.gameServers.list({ includeDeleted: true });
    expect(all.items.map((s) => s.id)).toEqual([id]);
    expect(outs).toMatchObject({ name: inputs.name, status: "running" });
    expect(await env.control.hits("POST /v1/game-servers")).toBe(1);
    expect(fixture.host.output).toMatch(/found: that POST had created it/);
  });

  it("sends a create again when the lost one provably did not go through", async () => {
    await env.control.fault({ method: "POST", route: "/v1/game-servers", times: 1, status: 502 });
    const { id } = await up("retry", args("retry"));
    expect((await env.client.gameServers.list({ includeDeleted: true })).items.map((s) => s.id)).toEqual([id]);
    expect(await env.control.hits("POST /v1/game-servers")).toBe(2);
  });

  it("read drops a server soft-deleted out of band, and one that is gone (404)", async () => {
    const { id, outs } = await up("oob", args("oob"));
    const fresh = await fixture.host.read("oob", id, outs);
    expect(fresh.id).toBe(id);
    expect(fresh.props).toMatchObject({ status: "running", __provider: provider });
    expect(fresh.inputs).toMatchObject({ name: outs.name, gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION });
    expect(fresh.inputs).not.toHaveProperty("rconPassword");

    await env.client.gameServers.delete(id);
    expect((await fixture.host.read("oob", id, outs)).id).toBe("");
    expect((await fixture.host.read("oob", "srv_never_existed", outs)).id).toBe("");
    expect(fixture.host.output).toMatch(/soft-deleted at .*; removing it from the stack/);
  });

  it("read throws on a transient error instead of dropping the server", async () => {
    const { id, outs } = await up("flaky", args("flaky"));
    await env.control.fault({ method: "GET", route: "/v1/game-servers/:id", times: 10, status: 503 });
    await expect(fixture.host.read("flaky", id, outs)).rejects.toThrow(/503/);
    await env.control.call("DELETE", "/_emulator/faults");
  });

  it("read with only inputs works, as GameServer.get sends it", async () => {
    const { id } = await up("lookup", args("lookup"));
    const got = await fixture.host.read("lookup", id, undefined, { __provider: provider });
    expect(got).toMatchObject({ id, props: { serverId: id, status: "running" } });
  });

  it("decides replace vs update, with no diff for what the server computes or key order", async () => {
    const { id, outs, inputs } = await up("d", args("d"));
    const reordered = { ...inputs, configuration: Object.fromEntries(Object.entries(CONFIGURATION).reverse()) };
    expect(await fixture.host.diff("d", id, outs, reordered)).toEqual({ changes: "none", replaces: [], deleteBeforeReplace: false });
    expect(await fixture.host.diff("d", id, outs, { ...inputs, region: "us-west-2" })).toEqual({
      changes: "some",
      replaces: ["region"],
      deleteBeforeReplace: false,
    });
    expect(await fixture.host.diff("d", id, outs, { ...inputs, gameType: "minecraft" })).toEqual({
      changes: "some",
      replaces: ["gameType"],
      deleteBeforeReplace: false,
    });
    expect(await fixture.host.diff("d", id, outs, { ...inputs, configuration: { ...CONFIGURATION, maxPlayers: 12 } })).toEqual({
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(await fixture.host.diff("d", id, outs, { ...inputs, name: "renamed" })).toEqual({
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(await fixture.host.diff("d", id, outs, { ...inputs, rconPassword: "new-rcon-password" })).toEqual({
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
    // A merge PATCH cannot remove a key: dropping customCvars sets it back to its default in place.
    const withCvars = {
      ...outs,
      configuration: { ...CONFIGURATION, customCvars: { sv_cheats: 0 } },
      declaredConfiguration: [...Object.keys(CONFIGURATION), "customCvars"],
    };
    expect(await fixture.host.diff("d", id, withCvars, inputs)).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
    expect(await fixture.host.diff("d", id, outs, { ...inputs, region: UNKNOWN })).toEqual({
      changes: "some",
      replaces: ["region"],
      deleteBeforeReplace: false,
    });
    expect((await fixture.host.diff("d", id, outs, { ...inputs, configuration: { ...CONFIGURATION, maxPlayers: UNKNOWN } })).changes).toBe(
      "some",
    );
    expect((await fixture.host.diff("d", id, { ...outs, status: "failed" }, inputs)).replaces).toEqual(["status"]);
  });

  it("updates in place with a PATCH and returns the complete outputs", async () => {
    const { id, outs, inputs } = await up("u", args("u"));
    const news = { ...inputs, name: "Grand Final", configuration: { ...CONFIGURATION, maxPlayers: 12 }, serverPassword: "letmein" };
    const updated = await fixture.host.update("u", id, outs, news);
    expect(updated).toMatchObject({
      serverId: id,
      name: "Grand Final",
      status: "running",
      serverPassword: "letmein",
      rconPassword: outs.rconPassword,
      configuration: { ...CONFIGURATION, maxPlayers: 12 },
      connectUrl: outs.connectUrl,
      __provider: provider,
    });
    expect(Object.keys(updated).sort()).toEqual(Object.keys(outs).sort());
    expect(await env.control.hits("PATCH /v1/game-servers/:id")).toBe(1);
    expect(await fixture.host.diff("u", id, updated, news)).toEqual({ changes: "none", replaces: [], deleteBeforeReplace: false });
  });

  it("deletes, and deleting an already deleted server succeeds", async () => {
    const { id, outs } = await up("del", args("del"));
    await fixture.host.delete("del", id, outs);
    expect((await env.client.gameServers.get(id)).deletedAt).not.toBeNull();
    await fixture.host.delete("del", id, outs);
    await fixture.host.delete("del", "srv_unknown", outs);
    expect(fixture.host.output).toMatch(/already deleted/);
  });

  describe("a server the platform stopped (autoStop)", () => {
    /** A server that ran, then was stopped by the platform after its idle minutes. */
    async function stoppedServer(name: string) {
      const made = await up(name, args(name, { autoStop: true, autostopMinutes: 45 }));
      await env.control.stop(made.id);
      const { updatedAt } = await env.client.gameServers.get(made.id);
      return { ...made, updatedAt };
    }

    /** The one line the host printed about this server being stopped. */
    async function stoppedLine(id: string): Promise<string> {
      const output = await fixture.host.outputWith(`(${id}): stopped`);
      const lines = output.split("\n").filter((l) => l.includes(`(${id}): stopped`));
      expect(lines).toHaveLength(1);
      return lines[0]!;
    }

    /** What every such line must say: which server, why and since when as far as the API says, and the way out. */
    function expectTheWayOut(line: string, name: unknown, id: string, updatedAt: string) {
      expect(line).toContain(`[gameservers] GameServer "${String(name)}" (${id}): stopped`);
      expect(line).toContain("autoStop after 45 idle minutes");
      expect(line).toContain(updatedAt);
      expect(line).toContain("nobody can join it");
      expect(line).toContain("The API has no start call");
      expect(line).toContain("`pulumi up --replace <urn>`");
      expect(line).toContain("`autoStop: false`");
      expect(line).toContain("`autostopMinutes`");
    }

    it("refresh says it is stopped, since when the API says, and what to do; it stays in the stack without an address", async () => {
      const { id, outs, inputs, updatedAt } = await stoppedServer("idle-refresh");
      fixture.host.output = "";
      const read = await fixture.host.read("idle-refresh", id, outs);
      expect(read.id).toBe(id);
      expect(read.props).toMatchObject({ status: "stopped", connectUrl: null, ip: null, port: null });
      expectTheWayOut(await stoppedLine(id), inputs.name, id, updatedAt);
    });

    it("an unchanged up says it from the state, with no request and no change", async () => {
      const { id, outs, inputs, updatedAt } = await stoppedServer("idle-same");
      const { props } = await fixture.host.read("idle-same", id, outs);
      fixture.host.output = "";
      const before = (await env.control.stats()).requests.total;
      expect(await fixture.host.diff("idle-same", id, props, inputs)).toEqual({
        changes: "none",
        replaces: [],
        deleteBeforeReplace: false,
      });
      expect((await env.control.stats()).requests.total).toBe(before);
      const line = await stoppedLine(id);
      expectTheWayOut(line, inputs.name, id, updatedAt);
      expect(line).toContain("as the stack last read it");
    });

    it("replaceIfStopped makes the next up replace it; without it the server is kept", async () => {
      const { id, outs, inputs } = await stoppedServer("idle-replace");
      const { props } = await fixture.host.read("idle-replace", id, outs);
      const asked = await fixture.host.check("idle-replace", inputs, {
        ...args("idle-replace", { autoStop: true, autostopMinutes: 45 }),
        replaceIfStopped: true,
        __provider: provider,
      });
      expect(asked.failures).toEqual([]);
      fixture.host.output = "";
      expect(await fixture.host.diff("idle-replace", id, props, asked.inputs)).toEqual({
        changes: "some",
        replaces: ["status"],
        deleteBeforeReplace: false,
      });
      expect(await fixture.host.outputWith("replaceIfStopped replaces it")).toContain(`(${id}): stopped: replaceIfStopped replaces it`);
      // A running server is never replaced for it, and setting it alone changes nothing.
      expect(await fixture.host.diff("idle-replace", id, outs, asked.inputs)).toEqual({
        changes: "none",
        replaces: [],
        deleteBeforeReplace: false,
      });
      expect((await fixture.host.diff("idle-replace", id, props, { ...asked.inputs, replaceIfStopped: false })).replaces).toEqual([]);
      const wrong = await fixture.host.check("x", {}, { ...args("x"), replaceIfStopped: "yes", __provider: provider });
      expect(wrong.failures).toEqual([{ property: "replaceIfStopped", reason: expect.stringMatching(/^replaceIfStopped /) }]);
    });

    it("an update succeeds and says it is stopped", async () => {
      const { id, outs, inputs } = await stoppedServer("idle-update");
      fixture.host.output = "";
      // The state still says running: the update is what learns it stopped.
      const news = { ...inputs, configuration: { ...CONFIGURATION, maxPlayers: 12 } };
      const updated = await fixture.host.update("idle-update", id, outs, news);
      expect(updated).toMatchObject({ status: "stopped", connectUrl: null, configuration: { maxPlayers: 12 } });
      const { updatedAt } = await env.client.gameServers.get(id);
      expectTheWayOut(await stoppedLine(id), inputs.name, id, updatedAt);
    });
  });

  it("adopts an existing server instead of creating one", async () => {
    const existing = await env.client.gameServers.create(cs2("hand-made", "eu-central-1"));
    const { id, outs, inputs } = await up("adopted", args("adopted", { adoptServerId: existing.id }));
    expect(id).toBe(existing.id);
    expect(outs).toMatchObject({ name: inputs.name, status: "running" });
    expect(await env.control.hits("POST /v1/game-servers")).toBe(1);
    const wrongRegion = await fixture.host.check(
      "w",
      {},
      { ...args("w", { adoptServerId: existing.id }), region: "us-east-1", __provider: provider },
    );
    await expect(fixture.host.create("w", wrongRegion.inputs)).rejects.toThrow(
      /its region is eu-central-1, the program declares us-east-1/,
    );
  });

  it("waits for many servers through one shared poller: one events request per poll, each server read once when ready", async () => {
    await env.control.config({ capacity: { "eu-central-1": 0 }, queueIntervalMs: 3_600_000 });
    const names = Array.from({ length: 8 }, (_, i) => `fleet-${i}`);
    const checked = await Promise.all(names.map((n) => fixture.host.check(n, {}, { ...args(n), __provider: provider })));
    const creates = checked.map((c, i) => fixture.host.create(names[i]!, c.inputs));
    while ((await env.control.hits("POST /v1/game-servers")) < names.length) await new Promise((r) => setTimeout(r, 10));
    // Let the watcher poll a few times while every server is pending.
    await new Promise((r) => setTimeout(r, 150));
    await env.control.config({ capacity: { "eu-central-1": names.length } });
    const before = (await env.control.stats()).requests.byRoute;
    await env.control.tick();
    const results = await Promise.all(creates);
    const after = (await env.control.stats()).requests.byRoute;
    expect(results.every((r) => r.outs.status === "running")).toBe(true);
    // While pending, polls asked only for events: no server was read.
    expect(before["GET /v1/game-servers/events"]).toBeGreaterThanOrEqual(2);
    expect(before["GET /v1/game-servers"] ?? 0).toBe(0);
    expect(before["GET /v1/game-servers/:id"] ?? 0).toBe(0);
    // Once their events came, the eight were read together from the newest list page (a count,
    // then the page), never one request per server, and the status route is never used.
    expect((after["GET /v1/game-servers"] ?? 0) - (before["GET /v1/game-servers"] ?? 0)).toBeLessThanOrEqual(4);
    expect(after["GET /v1/game-servers/:id"] ?? 0).toBe(0);
    expect(after["GET /v1/game-servers/:id/status"] ?? 0).toBe(0);
  });

  it("replaces a server whose name the program fixed delete-before-create, an auto-named one create-before-delete", async () => {
    const fixed = await up("named", args("named", { name: "Grand Final (dbr)" }));
    const moved = { ...fixed.inputs, region: "us-west-2" };
    expect(await fixture.host.diff("named", fixed.id, fixed.outs, moved)).toEqual({
      changes: "some",
      replaces: ["region"],
      deleteBeforeReplace: true,
    });
    const auto = await up("auto", args("auto"));
    expect(await fixture.host.diff("auto", auto.id, auto.outs, { ...auto.inputs, region: "us-west-2" })).toMatchObject({
      deleteBeforeReplace: false,
    });
  });

  it("a second resource type's configure never disturbs a wait in flight", async () => {
    await env.control.config({ capacity: { "eu-central-1": 0 }, queueIntervalMs: 3_600_000 });
    const { inputs } = await fixture.host.check("waiting", {}, { ...args("waiting"), __provider: provider });
    const creating = fixture.host.create("waiting", inputs);
    while ((await env.control.hits("POST /v1/game-servers")) === 0) await new Promise((r) => setTimeout(r, 5));
    // The roster's text is new to the host: loading it runs configure again, mid-wait.
    const roster = await serializedProvider(ROOT, "pulumi-gameservers/roster-provider");
    const checked = await fixture.host.check("roster", {}, { fleet: "f", servers: {}, __provider: roster });
    expect(checked.failures).toEqual([]);
    await env.control.config({ capacity: { "eu-central-1": 1 } });
    await env.control.tick();
    const { outs } = await creating;
    expect(outs.status).toBe("running");
    expect(fixture.host.output).not.toMatch(/UND_ERR_DESTROYED|destroyed/i);
  });

  it("cannot serve a read with neither properties nor inputs, which is what `pulumi import` sends", async () => {
    // pulumi/pulumi#16175: the host needs __provider to load the provider. Documented in docs/game-server.md (Lookup, adoption and import).
    await expect(fixture.host.read("imported", "srv_123", undefined)).rejects.toThrow();
  });

  it("never shows the API key in the host's output or in any property", async () => {
    const { id, outs } = await up("s", args("s", { rconPassword: "a-secret-rcon" }));
    await fixture.host.read("s", id, outs);
    await fixture.host.delete("s", id, outs);
    expect(fixture.host.output).not.toContain(env.emulator.apiKey);
    expect(JSON.stringify(outs)).not.toContain(env.emulator.apiKey);
    expect(fixture.host.output).not.toContain("a-secret-rcon");
  });
});

describe("GameServer without credentials", () => {
  it("fails create with the config command to run, naming no secret", async () => {
    const provider = await serializedProvider();
    const host = await ProviderHost.start(ROOT, { GAMESERVERS_API_KEY: "" });
    try {
      await host.configure({});
      const { inputs } = await host.check("x", {}, { ...args("x"), __provider: provider });
      await expect(host.create("x", inputs)).rejects.toThrow(/pulumi config set --secret gameservers:apiKey/);
    } finally {
      await host.stop();
    }
  });
});
