import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import yaml from "js-yaml";
import { GameServer } from "pulumi-gameservers";
import { runOffline } from "pulumi-gameservers/testing";
import { describe, expect, it } from "vitest";
import { CS2_CONFIG, cs2, useEmulator } from "../helpers/emulator.js";
import { ProviderHost, ROOT, serializedProvider } from "../helpers/provider-host.js";

describe("the examples, run end to end against the emulator by the offline runner", () => {
  const env = useEmulator();

  const base = () => ({ apiUrl: env.emulator.url, apiKey: env.emulator.apiKey, pollIntervalMs: 25 });

  it("quickstart: one server, its connect URL as a stack output", async () => {
    const lines: string[] = [];
    const run = await runOffline({
      ...base(),
      program: path.join(ROOT, "examples/quickstart"),
      config: { joinPassword: "scrim-night" },
      secretKeys: ["joinPassword"],
      project: "quickstart",
      log: (l) => lines.push(l),
    });
    const [server] = (await env.client.gameServers.list()).items;
    expect(server).toMatchObject({ status: "running", region: "eu-central-1", serverPassword: "scrim-night" });
    expect(run.outputs.connectUrl).toBe(server!.connectUrl);
    expect(run.outputs.address).toBe(`${server!.ip}:${server!.port}`);
    expect(run.secretOutputs).toEqual(["rconPassword"]);
    expect(lines.some((l) => l.includes("running at steam://connect/"))).toBe(true);
    await run.destroy();
    expect((await env.client.gameServers.list()).total).toBe(0);
  });

  it("tournament: the event from tournament.yaml becomes a fleet, with the roster as stack outputs", async () => {
    await env.control.config({ bootDelayMs: 100 });
    const run = await runOffline({
      ...base(),
      program: path.join(ROOT, "examples/tournament"),
      config: { "tournament:serverPassword": "winter-cup-2026" },
      secretKeys: ["tournament:serverPassword"],
      project: "tournament",
    });
    const roster = run.outputs.roster as Record<string, { name: string; region: string; connectUrl: string; ip: string; port: number }>;
    expect(Object.keys(roster)).toEqual(["groups-1", "groups-2", "groups-3", "groups-4", "playoffs-1", "playoffs-2", "final-1"]);
    expect(run.outputs.serverCount).toBe(7);
    expect(run.outputs.eventName).toBe("winter-cup");
    const servers = (await env.client.gameServers.list()).items;
    expect(servers.map((s) => s.status)).toEqual(Array(7).fill("running"));
    for (const [key, entry] of Object.entries(roster)) {
      const server = servers.find((s) => s.name === entry.name)!;
      expect(entry).toMatchObject({ connectUrl: server.connectUrl, ip: server.ip, port: server.port, region: server.region });
      expect(entry.name).toMatch(new RegExp(`^winter-cup-${key}-[0-9a-f]{7}$`));
      expect(server.serverPassword).toBe("winter-cup-2026");
    }
    // Dealt evenly, the final pinned to eu-central-1 counted first; per-stage overrides apply.
    expect(Object.values(roster).map((e) => e.region)).toEqual([
      "eu-west-1",
      "eu-central-1",
      "eu-west-1",
      "eu-central-1",
      "eu-west-1",
      "eu-central-1",
      "eu-central-1",
    ]);
    const final = servers.find((s) => s.name === roster["final-1"]!.name)!;
    expect(final.configuration).toMatchObject({ startingMap: "de_inferno", warmupTime: 900, customCvars: { tv_delay: 120 } });
    expect(servers.find((s) => s.name === roster["playoffs-1"]!.name)!.configuration).toMatchObject({ warmupTime: 600, freezeTime: 20 });
    expect(run.secretOutputs).toEqual(expect.arrayContaining(["roster.final-1.serverPassword", "roster.final-1.rconPassword"]));
    expect(run.secretOutputs.some((p) => p.endsWith("connectUrl"))).toBe(false);
    // Each match server loaded its map and announced itself (a ServerCommand each).
    const log = await env.client.logs.latest(final.id);
    expect(log.content).toContain("Changing level to de_inferno");
    expect(log.content).toContain("server ready on de_inferno");
    expect(run.resources.filter((r) => r.type.endsWith(":ServerCommand"))).toHaveLength(7);
    await run.destroy();
    expect((await env.control.stats()).servers.byStatus).toEqual({});
  });

  it("tournament: an announcement in stack config reaches every server, one ServerCommand each", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gs-tournament-"));
    try {
      // Three matches are enough: one server per stage.
      const file = path.join(dir, "tournament.yaml");
      const source = readFileSync(path.join(ROOT, "examples/tournament/tournament.yaml"), "utf8");
      writeFileSync(file, source.replace("matches: 4", "matches: 1").replace("matches: 2", "matches: 1"));
      const run = await runOffline({
        ...base(),
        program: path.join(ROOT, "examples/tournament"),
        config: { "tournament:file": file, "tournament:announcement": "Matches start at 18:00" },
        project: "tournament",
      });
      const announcements = run.resources.filter((r) => r.type.endsWith(":ServerCommand") && r.name.endsWith("-announcement"));
      expect(announcements.map((r) => r.name).sort()).toEqual(["final-1-announcement", "groups-1-announcement", "playoffs-1-announcement"]);
      const servers = (await env.client.gameServers.list()).items;
      expect(servers).toHaveLength(3);
      for (const server of servers)
        expect((await env.client.logs.latest(server.id)).content, server.name).toContain("Matches start at 18:00");
      await run.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("tournament: two stages of one name are refused, naming the stage, before any server is created", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gs-tournament-"));
    try {
      const file = path.join(dir, "tournament.yaml");
      const source = readFileSync(path.join(ROOT, "examples/tournament/tournament.yaml"), "utf8");
      writeFileSync(file, source.replace("- name: final", "- name: groups"));
      await expect(
        runOffline({
          ...base(),
          program: path.join(ROOT, "examples/tournament"),
          config: { "tournament:file": file },
          project: "tournament",
        }),
      ).rejects.toThrow(/tournament\.yaml: stages\.2\.name "groups" names two stages: give each its own/);
      expect((await env.client.gameServers.list()).total).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gitops: the fleet declared in Pulumi.production.yaml", async () => {
    const stackFile = yaml.load(readFileSync(path.join(ROOT, "examples/gitops/Pulumi.production.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    const run = await runOffline({
      ...base(),
      program: path.join(ROOT, "examples/gitops"),
      config: { "gitops:fleet": JSON.stringify(stackFile.config["gitops:fleet"]) },
      project: "gitops",
      stack: "production",
    });
    const roster = run.outputs.roster as Record<string, { region: string }>;
    expect(Object.keys(roster)).toEqual(["pug-1", "pug-2", "pug-3", "pug-4"]);
    expect(Object.values(roster).map((e) => e.region)).toEqual(["us-east-1", "us-west-2", "us-east-1", "us-west-2"]);
    const servers = (await env.client.gameServers.list()).items;
    expect(servers.every((s) => s.status === "running" && s.autoStop && s.autostopMinutes === 45)).toBe(true);
    await run.destroy();
  });

  it("gitops README: a key in stack config wins over GAMESERVERS_API_KEY in the environment", async () => {
    const host = await ProviderHost.start(ROOT, { GAMESERVERS_API_KEY: "gsk_not_this_one" });
    try {
      await host.configure({ "gameservers:apiKey": env.emulator.apiKey, "gameservers:apiUrl": env.emulator.url });
      const { rconPassword: _, ...configuration } = CS2_CONFIG;
      const news = { autoNamePrefix: "k", gameType: "cs2", region: "eu-west-1", configuration, __provider: await serializedProvider() };
      const { inputs } = await host.check("k", {}, news);
      const { id, outs } = await host.create("k", inputs);
      expect(outs.status).toBe("running");
      await host.delete("k", id, outs);
    } finally {
      await host.stop();
    }
  });

  it("GameServer.get reads an existing server, and destroy leaves it alone", async () => {
    const existing = await env.client.gameServers.create(cs2("hand-made"));
    const run = await runOffline({
      ...base(),
      cwd: ROOT,
      program: () => {
        const found = GameServer.get("existing", existing.id);
        return { connectUrl: found.connectUrl, status: found.status };
      },
    });
    expect(run.outputs).toEqual({ connectUrl: existing.connectUrl, status: "running" });
    expect(run.resources.map((r) => r.lookup)).toEqual([true]);
    await run.destroy();
    expect((await env.client.gameServers.get(existing.id)).deletedAt).toBeNull();
  });

  it("fails a run whose server cannot be allocated, and leaves nothing behind", async () => {
    await env.control.config({ capacity: { "eu-central-1": 0 }, queueIntervalMs: 20 });
    await expect(runOffline({ ...base(), program: path.join(ROOT, "examples/quickstart"), project: "quickstart" })).rejects.toThrow(
      /GameServer "scrim".*failed after 3 allocation attempts.*nothing is left behind/s,
    );
    expect((await env.client.gameServers.list()).total).toBe(0);
  });
});
