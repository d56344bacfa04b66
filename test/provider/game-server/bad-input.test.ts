import fc from "fast-check";
import { GameServer, resolveFleet } from "pulumi-gameservers";
import { check } from "pulumi-gameservers/handlers";
import { runOffline, UNKNOWN } from "pulumi-gameservers/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { RequestValidationError } from "../../../sdk/index.js";
import { CS2_CONFIG, useEmulator } from "../../helpers/emulator.js";
import { ROOT, serializedProvider, useProviderHost } from "../../helpers/provider-host.js";

const { rconPassword: _rcon, ...CONFIGURATION } = CS2_CONFIG;
const INPUT_KEYS = [
  "name",
  "autoNamePrefix",
  "gameType",
  "region",
  "configuration",
  "autoStop",
  "autostopMinutes",
  "rconPassword",
  "serverPassword",
  "waitForRunning",
  "readyTimeoutSeconds",
  "adoptServerId",
  "replaceIfStopped",
];

/** Random GameServer inputs: known keys with wrong or right values, unknown keys, unknowns of a preview. */
const anyInputs = fc.dictionary(
  fc.oneof(fc.constantFrom(...INPUT_KEYS), fc.string({ maxLength: 12 })),
  fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constant(UNKNOWN),
    fc.constantFrom("cs2", "eu-central-1", "us-east-1", "Europe", ""),
    fc.constant(CONFIGURATION),
    fc.record({ maxPlayers: fc.oneof(fc.integer(), fc.string()), startingMap: fc.string(), tickrate: fc.integer() }, { requiredKeys: [] }),
  ),
  { maxKeys: 8 },
);

/** Every failure must say which field and why: a non-empty property the reason itself names. */
function expectNamedFailures(failures: { property: string; reason: string }[]) {
  for (const f of failures) {
    expect(f.property).not.toBe("");
    expect(f.reason.length).toBeGreaterThan(f.property.length);
    if (f.property !== "(inputs)") expect(f.reason).toContain(f.property);
  }
}

describe("check() on random input", () => {
  it("never throws, and every failure names the field and the reason (property-based)", async () => {
    await fc.assert(
      fc.asyncProperty(anyInputs, anyInputs, async (olds, news) => {
        const { failures, inputs } = await check(olds, news);
        expectNamedFailures(failures);
        expect(Object.values(inputs)).not.toContain(undefined);
      }),
      { numRuns: 2000 },
    );
  });

  it("names the known region a misspelt one meant, and lets a new one through", async () => {
    const typo = await check({}, { gameType: "cs2", region: "eu-wset-1", configuration: CONFIGURATION });
    expect(typo.failures).toEqual([
      { property: "region", path: "region", reason: 'region "eu-wset-1" is not a known region (did you mean "eu-west-1"?)' },
    ]);
    expect((await check({}, { gameType: "cs2", region: "eu-west-4", configuration: CONFIGURATION })).failures).toEqual([]);
  });

  it("offers what a misspelt input or configuration key meant", async () => {
    const { failures } = await check(
      {},
      { gameType: "cs2", regoin: "eu-west-1", region: "eu-west-1", configuration: { ...CONFIGURATION, tickRate: 128 } },
    );
    expect(failures.map((f) => f.reason).sort()).toEqual([
      'configuration.tickRate is not a CS2 setting (did you mean "tickrate"?)',
      'regoin is not an input of GameServer (did you mean "region"?)',
    ]);
  });

  it("names an unknown input key as the failing property", async () => {
    const { failures } = await check({}, { gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION, foo: 1, tickRate: 128 });
    expect(failures.map((f) => f.property).sort()).toEqual(["foo", "tickRate"]);
    expect(failures[0]!.reason).toMatch(/^foo is not an input of GameServer \(inputs: name, gameType, region, configuration, /);
  });
});

describe("check() through Pulumi's dynamic-provider host", () => {
  const env = useEmulator();
  const fixture = useProviderHost(env);
  let provider: string;
  beforeAll(async () => {
    provider = await serializedProvider();
  });

  it("answers random input without an API call, naming each failing field", async () => {
    const samples = fc.sample(anyInputs, { numRuns: 150, seed: 8 });
    for (const news of samples) {
      const secret = `s3cret-${Math.random().toString(36).slice(2)}`;
      const { failures } = await fixture.host.check(
        "fuzz",
        {},
        { ...news, rconPassword: secret, serverPassword: secret, __provider: provider },
      );
      expectNamedFailures(failures);
      // A refused password is never echoed back.
      expect(JSON.stringify(failures)).not.toContain(secret);
    }
    expect((await env.control.stats()).requests.total).toBe(0);
    expect(fixture.host.output).not.toContain(env.emulator.apiKey);
  });
});

describe("fleet definitions are refused before any work", () => {
  const defaults = { gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION };
  const refused = (args: unknown) => {
    try {
      resolveFleet("cup", args as never);
    } catch (error) {
      return (error as Error).message;
    }
    return "accepted";
  };

  it("names unknown keys of the fleet, its defaults and its servers", () => {
    const message = refused({ defaults: { ...defaults, tickRate: 128 }, servers: { a: { bogus: 1 } }, size: 3 });
    expect(message).toContain("the fleet: size is not a setting here");
    expect(message).toContain("defaults: tickRate is not a setting here");
    expect(message).toContain('server "a": bogus is not a setting here');
  });

  it("refuses a count without defaults with a clear message, not a TypeError", () => {
    const message = refused({ count: 2 });
    expect(message).toMatch(/^GameServerFleet "cup" is invalid:/);
    expect(message).toContain("defaults: gameType is required");
    expect(message).not.toContain('server "server-1"');
  });

  it("refuses an oversized count at once, without building it", () => {
    const started = performance.now();
    expect(refused({ defaults, count: 100_000 })).toContain("count must be a whole number from 0 to 1000, got 100000");
    expect(refused({ defaults, count: "2" })).toContain('count must be a whole number from 0 to 1000, got "2"');
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("says a mistake in defaults once, however many servers inherit it", () => {
    const message = refused({ defaults: { ...defaults, configuration: { ...CONFIGURATION, tickrate: 7 } }, count: 16 });
    expect(message.split("\n").slice(1)).toEqual(["  - defaults: configuration.tickrate must be 64 or 128"]);
  });

  it("says where each mistake was made: defaults, the regions list, or the server", () => {
    const message = refused({
      defaults: { ...defaults, autostopMinutes: 0 },
      regions: ["eu-wset-1"],
      servers: { a: {}, b: { configuration: { maxPlayers: 500 } }, c: { region: "us-est-1" } },
    });
    expect(message.split("\n").slice(1)).toEqual([
      '  - regions: "eu-wset-1" is not a known region (did you mean "eu-west-1"?)',
      expect.stringMatching(/^ {2}- defaults: autostopMinutes /),
      expect.stringMatching(/^ {2}- server "b": configuration\.maxPlayers /),
      '  - server "c": region "us-est-1" is not a known region (did you mean "us-east-1" or "us-west-1"?)',
    ]);
  });

  it("offers what a misspelt key meant, at every level", () => {
    const message = refused({
      defualts: defaults,
      defaults: { ...defaults, configuration: { ...CONFIGURATION, tickRate: 128 } },
      servers: { a: { regoin: "eu-west-1" } },
    });
    expect(message).toContain('the fleet: defualts is not a setting here (did you mean "defaults"?)');
    expect(message).toContain('server "a": regoin is not a setting here (did you mean "region"?)');
    expect(message).toContain('defaults: configuration.tickRate is not a CS2 setting (did you mean "tickrate"?)');
    expect(message).not.toContain("(body)");
  });

  it("accepts a region this release does not know unless it is one edit off a known one", () => {
    expect(refused({ defaults: { ...defaults, region: "eu-west-4" }, count: 1 })).toBe("accepted");
    expect(refused({ defaults: { ...defaults, region: "xy-newplace-1" }, count: 1 })).toBe("accepted");
    expect(refused({ defaults: { ...defaults, region: "eu-centrl-1" }, count: 1 })).toContain(
      'defaults: region "eu-centrl-1" is not a known region (did you mean "eu-central-1"?)',
    );
  });

  it("refuses two servers with the same fixed name", () => {
    const message = refused({ defaults, servers: { a: { name: "Final" }, b: { name: "Final" } } });
    expect(message).toContain('server "b": the name "Final" is already used by server "a"');
  });
});

describe("server ids are single path segments", () => {
  const env = useEmulator();
  it.each([".", "..", "a/b", "../x", ""])("refuses %j before anything is sent", async (id) => {
    for (const call of [() => env.client.gameServers.get(id), () => env.client.gameServers.delete(id)]) {
      await expect(call()).rejects.toBeInstanceOf(RequestValidationError);
    }
    expect((await env.control.stats()).requests.total).toBe(0);
  });
});

describe("the offline runner shows no secret", () => {
  const env = useEmulator({ bootDelayMs: 100 });

  it("neither the key nor a password reaches its log, its outputs or its errors", async () => {
    const secrets = [env.emulator.apiKey, "rcon-secret-4711", "join-secret-0815"];
    const lines: string[] = [];
    const run = await runOffline({
      program: () => {
        const server = new GameServer("quiet", {
          gameType: "cs2",
          region: "eu-central-1",
          configuration: CONFIGURATION,
          rconPassword: "rcon-secret-4711",
          serverPassword: "join-secret-0815",
        });
        return { url: server.connectUrl, rcon: server.rconPassword };
      },
      cwd: ROOT,
      apiUrl: env.emulator.url,
      apiKey: env.emulator.apiKey,
      log: (line) => lines.push(line),
    });
    await run.destroy();
    // The password is an output the runner reports as secret; nothing else may carry it.
    expect(run.secretOutputs).toContain("rcon");
    const { rcon: _, ...shown } = run.outputs;
    const failed = await runOffline({
      program: () =>
        new GameServer("bad", { gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION, rconPassword: "s3cr!t" }),
      cwd: ROOT,
      apiUrl: env.emulator.url,
      apiKey: env.emulator.apiKey,
      log: (line) => lines.push(line),
    }).catch((e: unknown) => e as Error);
    expect(failed).toBeInstanceOf(Error);
    const text = [lines.join("\n"), JSON.stringify(shown), (failed as Error).message].join("\n");
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toContain("s3cr!t");
  });
});
