import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../sdk/emulator/index.js";
import { CS2_CONFIG } from "../helpers/emulator.js";
import { ProviderHost, ROOT, run, serializedProvider } from "../helpers/provider-host.js";

const SENTINELS = { SENTINEL_KEY: "gsk_sentinel_api_key_4f1c", SENTINEL_RCON: "sentinel-rcon-9d2e", SENTINEL_JOIN: "sentinel-join-7b3a" };
const FIXTURE = path.join(ROOT, "test/fixtures/serialize-game-server.cjs");

/**
 * The `__provider` text of a real GameServer constructed in `cwd`, as dynamic.Resource
 * serializes it. The script is copied there first, so its requires resolve from that project.
 */
async function serializeIn(cwd: string): Promise<[gameServer: string, roster: string]> {
  const script = path.join(cwd, "serialize-game-server.cjs");
  if (cwd !== ROOT) await copyFile(FIXTURE, script);
  const { rconPassword: _, ...configuration } = CS2_CONFIG;
  const out = await run(process.execPath, ["--no-warnings", cwd === ROOT ? FIXTURE : script], cwd, {
    ...process.env,
    ...SENTINELS,
    GAMESERVER_CONFIGURATION: JSON.stringify(configuration),
  });
  return JSON.parse(out) as [string, string];
}

function expectNoSecrets(text: string): void {
  for (const value of Object.values(SENTINELS)) expect(text).not.toContain(value);
  expect(text).not.toMatch(/\/work\/|\/tmp\/|\/home\/|[A-Z]:\\\\/); // no absolute path of this machine
}

/** Loads the text in Pulumi's host from `cwd` and creates one server with it. */
async function createThroughHost(cwd: string, [provider, roster]: [string, string], emulator: RunningEmulator): Promise<string> {
  const host = await ProviderHost.start(cwd);
  try {
    await host.configure({ "gameservers:apiKey": emulator.apiKey, "gameservers:apiUrl": emulator.url });
    const { rconPassword: _, ...configuration } = CS2_CONFIG;
    const { inputs } = await host.check(
      "p",
      {},
      { autoNamePrefix: "p", gameType: "cs2", region: "eu-west-1", configuration, __provider: provider },
    );
    const { id, outs } = await host.create("p", inputs);
    expect(outs.status).toBe("running");
    // The second resource type loads from its own text in the same host.
    const listed = await host.create("r", { fleet: "f", servers: { a: { serverId: id } }, __provider: roster });
    expect(listed.outs.servers).toMatchObject({ a: { serverId: id, status: "running", connectUrl: outs.connectUrl } });
    await host.delete("p", id, outs);
    return id;
  } finally {
    await host.stop();
  }
}

describe("the serialized provider", () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator?.close());

  it("in this repository: under 2 KB, no secrets, no paths, and it runs in the host from the repo root", async () => {
    const texts = await serializeIn(ROOT);
    console.log(`serialized providers in the repo layout: ${texts.map((t) => t.length).join(" and ")} bytes`);
    for (const text of texts) {
      expect(text.length).toBeLessThanOrEqual(2048);
      expectNoSecrets(text);
    }
    expect(texts[0]).toContain('require("pulumi-gameservers/handlers")');
    expect(texts[1]).toContain('require("pulumi-gameservers/roster-handlers")');
    expect(await createThroughHost(ROOT, texts, emulator)).toMatch(/^srv_/);
  });

  describe("installed from the packed tarball, as users get it", () => {
    let project: string;
    beforeAll(async () => {
      project = await mkdtemp(path.join(tmpdir(), "gs-tarball-"));
      const packed = JSON.parse(await run("npm", ["pack", "--json", "--pack-destination", project], ROOT)) as { filename: string }[];
      const tarball = path.join(project, packed[0]!.filename);
      await writeFile(
        path.join(project, "package.json"),
        JSON.stringify({ name: "tarball-user", private: true, dependencies: { "pulumi-gameservers": `file:${tarball}` } }),
      );
      await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], project);
    }, 240_000);
    afterAll(() => (project ? rm(project, { recursive: true, force: true }) : undefined));

    it("is a single require of the installed module, under 400 bytes, and runs in the host there", async () => {
      const texts = await serializeIn(project);
      console.log(`serialized providers installed from the tarball: ${texts.map((t) => t.length).join(" and ")} bytes`);
      for (const text of texts) {
        expect(text.length).toBeLessThanOrEqual(400);
        expectNoSecrets(text);
      }
      expect(texts[0]).toMatch(/require\("pulumi-gameservers\/dynamic-provider"\)/);
      expect(texts[1]).toMatch(/require\("pulumi-gameservers\/roster-provider"\)/);
      expect(await createThroughHost(project, texts, emulator)).toMatch(/^srv_/);
      // The third type, ServerCommand, from its own permanent path.
      const command = await serializedProvider(project, "pulumi-gameservers/command-provider");
      expect(command.length).toBeLessThanOrEqual(400);
      expect(command).toMatch(/require\("pulumi-gameservers\/command-provider"\)/);
      // The fourth, a fleet's FleetServers, from its own permanent path: it creates a server there.
      const fleet = await serializedProvider(project, "pulumi-gameservers/fleet-provider");
      expect(fleet.length).toBeLessThanOrEqual(400);
      expectNoSecrets(fleet);
      expect(fleet).toMatch(/require\("pulumi-gameservers\/fleet-provider"\)/);
      const host = await ProviderHost.start(project);
      try {
        await host.configure({ "gameservers:apiKey": emulator.apiKey, "gameservers:apiUrl": emulator.url });
        const { rconPassword: _, ...configuration } = CS2_CONFIG;
        const server = { autoNamePrefix: "f-a", gameType: "cs2", region: "eu-west-1", configuration };
        const { inputs } = await host.check("f", {}, { fleet: "f", servers: { a: server }, passwords: {}, __provider: fleet });
        const { id, outs } = await host.create("f", inputs);
        expect((outs.servers as Record<string, { serverId: string }>).a!.serverId).toMatch(/^srv_/);
        await host.delete("f", id, outs);
      } finally {
        await host.stop();
      }
    });
  });
});
