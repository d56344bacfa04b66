import { beforeAll, describe, expect, it } from "vitest";
import { CS2_CONFIGURATION_DEFAULTS } from "../../../sdk/schemas/index.js";
import { CS2_CONFIG, useEmulator } from "../../helpers/emulator.js";
import { type DeclaredServer, MiniEngine } from "../../helpers/engine.js";
import { ROOT, serializedProvider, useProviderHost } from "../../helpers/provider-host.js";

// Issue 17 point 2: an API that fills in defaults and adds fields must not make an unchanged
// program write, and a key the program stops declaring is handled in place, never replaced.

const { rconPassword: _r, ...CONFIGURATION } = CS2_CONFIG;
const WRITES = ["POST /v1/game-servers", "PATCH /v1/game-servers/:id", "DELETE /v1/game-servers/:id"];
/** What a newer API adds: a top-level field and a configuration key no document describes. */
const NEWER_API = { server: { billingTier: "pro" }, configuration: { antiCheatLevel: "strict" } };

type Props = Record<string, unknown>;

describe("an API that fills in defaults and adds fields", () => {
  const env = useEmulator();
  const fixture = useProviderHost(env);
  const providers = { server: "", fleet: "" };
  beforeAll(async () => {
    providers.server = await serializedProvider();
    providers.fleet = await serializedProvider(ROOT, "pulumi-gameservers/fleet-provider");
  });

  /** Writes per route since the last call, the routes written only. */
  let seen: Record<string, number> = {};
  async function writes(): Promise<Record<string, number>> {
    const byRoute = (await env.control.stats()).requests.byRoute;
    const out: Record<string, number> = {};
    for (const route of WRITES) {
      const n = (byRoute[route] ?? 0) - (seen[route] ?? 0);
      if (n !== 0) out[route] = n;
    }
    seen = { ...byRoute };
    return out;
  }

  const engine = () => {
    seen = {};
    return new MiniEngine(fixture.host, providers.server);
  };
  const server = (configuration: Props, gameType = "cs2"): DeclaredServer[] => [
    { name: "final", inputs: { autoNamePrefix: "final", gameType, region: "eu-central-1", configuration } },
  ];
  const fleet = (configuration: Props): DeclaredServer[] => [
    {
      name: "cup-servers-1",
      provider: providers.fleet,
      inputs: {
        fleet: "cup",
        servers: Object.fromEntries(
          ["a", "b", "c"].map((k) => [k, { autoNamePrefix: `cup-${k}`, gameType: "cs2", region: "eu-central-1", configuration }]),
        ),
        passwords: {},
      },
    },
  ];
  const live = async () => (await env.client.gameServers.list()).items.filter((s) => s.deletedAt === null);

  it("an unchanged up of a GameServer sends no write, after create and after refresh", async () => {
    await env.control.config({ extraFields: NEWER_API });
    const stack = engine();
    expect(await stack.up(server(CONFIGURATION))).toBe(true);
    expect(await writes()).toEqual({ "POST /v1/game-servers": 1 });
    // The API filled in what the program left out, and reports fields no document has.
    const [made] = await live();
    expect(made!.configuration).toMatchObject({ ...CS2_CONFIGURATION_DEFAULTS, antiCheatLevel: "strict" });
    expect(made).toMatchObject({ billingTier: "pro" });

    expect(await stack.up(server(CONFIGURATION))).toBe(true);
    expect(await writes()).toEqual({});
    expect(await stack.refresh()).toBe(true);
    expect(await stack.up(server(CONFIGURATION))).toBe(true);
    expect(await writes()).toEqual({});
    expect((await live()).map((s) => s.id)).toEqual([made!.id]);
    expect(await stack.destroy()).toBe(true);
  });

  it("refresh gives back as inputs only the configuration keys the program declared", async () => {
    await env.control.config({ extraFields: NEWER_API });
    const stack = engine();
    expect(await stack.up(server(CONFIGURATION))).toBe(true);
    const [entry] = stack.state;
    const read = await fixture.host.read("final", entry!.id, entry!.outputs);
    expect(read.props.configuration).toMatchObject({ botDifficulty: 1, antiCheatLevel: "strict" });
    expect(read.inputs?.configuration).toEqual(CONFIGURATION);
    expect(await stack.destroy()).toBe(true);
  });

  it("an unchanged up of a fleet sends no write, after create and after refresh", async () => {
    await env.control.config({ extraFields: NEWER_API });
    const stack = engine();
    expect(await stack.up(fleet(CONFIGURATION))).toBe(true);
    expect(await writes()).toEqual({ "POST /v1/game-servers": 3 });
    const ids = (await live()).map((s) => s.id).sort();
    expect(await stack.up(fleet(CONFIGURATION))).toBe(true);
    expect(await writes()).toEqual({});
    expect(await stack.refresh()).toBe(true);
    expect(await stack.up(fleet(CONFIGURATION))).toBe(true);
    expect(await writes()).toEqual({});
    expect((await live()).map((s) => s.id).sort()).toEqual(ids);
    expect(await stack.destroy()).toBe(true);
  });

  it("a declared key the program drops is set back to its default in place, and the up says so", async () => {
    const stack = engine();
    expect(await stack.up(server({ ...CONFIGURATION, botDifficulty: 3, customCvars: { sv_cheats: 0 } }))).toBe(true);
    const [made] = await live();
    await writes();
    fixture.host.output = "";
    expect(await stack.up(server(CONFIGURATION))).toBe(true);
    expect(await writes()).toEqual({ "PATCH /v1/game-servers/:id": 1 });
    const [now] = await live();
    expect(now!.id).toBe(made!.id);
    expect(now!.configuration).toMatchObject({ botDifficulty: 1, customCvars: {} });
    const printed = await fixture.host.outputWith("set back to its default");
    expect(printed).toContain("configuration.botDifficulty is no longer declared: set back to its default 1 (was 3)");
    expect(printed).toContain('configuration.customCvars is no longer declared: set back to its default {} (was {"sv_cheats":0})');
    expect(await stack.up(server(CONFIGURATION))).toBe(true);
    expect(await writes()).toEqual({});
    expect(await stack.destroy()).toBe(true);
  });

  it("a declared key with no documented default that the program drops keeps its value, writes nothing, and says so", async () => {
    const stack = engine();
    expect(await stack.up(server({ motd: "hi", difficulty: "hard" }, "minecraft"))).toBe(true);
    await writes();
    fixture.host.output = "";
    expect(await stack.up(server({ motd: "hi" }, "minecraft"))).toBe(true);
    expect(await writes()).toEqual({});
    expect(await fixture.host.outputWith("no longer declared")).toContain(
      'configuration.difficulty is no longer declared and the API documents no default for it: the server keeps "hard"',
    );
    expect((await live())[0]!.configuration).toEqual({ motd: "hi", difficulty: "hard" });
    // The state now records it as not declared: the next up has nothing to say.
    const [entry] = stack.state;
    expect((await fixture.host.diff("final", entry!.id, entry!.outputs, entry!.inputs)).changes).toBe("none");
    expect(await stack.destroy()).toBe(true);
  });

  it("a fleet's servers that drop a declared key are each set back in place, and the preview says which", async () => {
    const stack = engine();
    expect(await stack.up(fleet({ ...CONFIGURATION, botDifficulty: 3 }))).toBe(true);
    const ids = (await live()).map((s) => s.id).sort();
    await writes();
    fixture.host.output = "";
    expect(await stack.up(fleet(CONFIGURATION))).toBe(true);
    expect(await writes()).toEqual({ "PATCH /v1/game-servers/:id": 3 });
    expect((await live()).map((s) => [s.id, s.configuration.botDifficulty]).sort()).toEqual(ids.map((id) => [id, 1]));
    expect(await fixture.host.outputWith("updates a")).toContain("updates a (configuration.botDifficulty back to its default 1)");
    expect(await stack.up(fleet(CONFIGURATION))).toBe(true);
    expect(await writes()).toEqual({});
    expect(await stack.destroy()).toBe(true);
  });

  it("reads a state written before the declared keys were recorded: an unchanged up sends no write", async () => {
    const stack = engine();
    expect(await stack.up(server(CONFIGURATION))).toBe(true);
    await writes();
    const [entry] = stack.state;
    const { declaredConfiguration: _d, ...outputs } = entry!.outputs;
    // Written against an API that filled in defaults (they are in the stored configuration) ...
    entry!.outputs = outputs;
    expect(await stack.up(server(CONFIGURATION))).toBe(true);
    expect(await writes()).toEqual({});
    // ... and against one that did not (the stored configuration is what was sent).
    entry!.outputs = { ...outputs, configuration: CONFIGURATION };
    expect(await stack.up(server(CONFIGURATION))).toBe(true);
    expect(await writes()).toEqual({});
    expect(await stack.destroy()).toBe(true);
  });
});
