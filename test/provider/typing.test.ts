/**
 * What a user's editor checks. The `@ts-expect-error` lines are the tests: `npm test`
 * type-checks this file (`tsc -p tsconfig.json`), and a line that stops being an error fails
 * the type-check. The program is declared, never run.
 */
import * as pulumi from "@pulumi/pulumi";
import { type FleetMember, type FleetServer, GameServer, GameServerFleet, type Region, type RosterEntry } from "pulumi-gameservers";
import { describe, expect, expectTypeOf, it } from "vitest";
import { RequestValidationError } from "../../sdk/index.js";
import { CS2_CONFIG, useEmulator } from "../helpers/emulator.js";
import { waitForRPCs } from "../helpers/fleet-parts.js";

const { rconPassword: _r, ...cs2 } = CS2_CONFIG;

/** Declarations only: the function is type-checked, never called. */
export function declarations(gameTypeFromConfig: pulumi.Output<string>) {
  // A cs2 server's configuration is checked field by field...
  new GameServer("ok", { gameType: "cs2", region: "eu-central-1", configuration: cs2 });
  // @ts-expect-error maxPlayers is a number
  new GameServer("a", { gameType: "cs2", region: "eu-central-1", configuration: { ...cs2, maxPlayers: "ten" } });
  // @ts-expect-error a typo is not a field
  new GameServer("b", { gameType: "cs2", region: "eu-central-1", configuration: { ...cs2, gameMod: "x" } });
  // @ts-expect-error a cs2 configuration is complete: startingMap is missing
  new GameServer("c", { gameType: "cs2", region: "eu-central-1", configuration: { gameMode: "competitive", maxPlayers: 10 } });
  // ...other games stay open, and so does a game type known only at run time.
  new GameServer("d", { gameType: "valheim", region: "eu-central-1", configuration: { worldName: "Midgard", anything: 1 } });
  new GameServer("e", { gameType: gameTypeFromConfig, region: "eu-central-1", configuration: { any: "thing" } });

  // Regions: the known codes complete in the editor; a code a newer API adds is still accepted.
  const known: Region = "ap-southeast-5";
  const newer: Region = "mars-north-1";

  // A cs2 fleet: defaults and per-server overrides are partial, each field typed.
  new GameServerFleet("f", {
    defaults: { gameType: "cs2", configuration: cs2 },
    regions: [known, newer],
    servers: { final: { configuration: { startingMap: "de_dust2", warmupTime: 900 } } },
  });
  new GameServerFleet("g", {
    // @ts-expect-error maxPlayers is a number, in defaults too
    defaults: { gameType: "cs2", configuration: { ...cs2, maxPlayers: "ten" } },
    count: 2,
  });
  new GameServerFleet("h", {
    defaults: { gameType: "cs2", configuration: cs2 },
    // @ts-expect-error an override's typo is not a field
    servers: { final: { configuration: { warmupTim: 900 } } },
  });
  new GameServerFleet("i", { defaults: { gameType: "valheim", configuration: { worldName: "Midgard" } }, count: 1 });
}

/** A fleet's outputs in strict code (`noUncheckedIndexedAccess`): declarations only, never called. */
export function fleetKeys(keysFromYaml: Record<string, FleetServer<"cs2">>, keyFromConfig: string) {
  // Servers written inline: each key indexes to a member and an entry, without `undefined` or `!`...
  const cup = new GameServerFleet("cup", {
    defaults: { gameType: "cs2", configuration: cs2 },
    servers: { "groups-1": {}, "final-1": { configuration: { startingMap: "de_inferno" } } },
  });
  expectTypeOf(cup.servers["final-1"]).toEqualTypeOf<FleetMember>();
  expectTypeOf(cup.roster["groups-1"]).toEqualTypeOf<RosterEntry>();
  expectTypeOf(cup.servers["final-1"].serverId).toEqualTypeOf<pulumi.Output<string>>();
  // ...and a key the fleet lacks does not compile.
  // @ts-expect-error "final-2" is not one of the fleet's keys
  cup.servers["final-2"];
  // @ts-expect-error nor in the roster
  cup.roster["final-2"];

  // Keys from a file (or counted ones): `string`, so indexing may be `undefined`; server(key) is not.
  const event = new GameServerFleet("event", { defaults: { gameType: "cs2", configuration: cs2 }, servers: keysFromYaml });
  expectTypeOf(event.servers[keyFromConfig]).toEqualTypeOf<FleetMember | undefined>();
  expectTypeOf(event.server(keyFromConfig)).toEqualTypeOf<FleetMember>();
  expectTypeOf(cup.server(keyFromConfig)).toEqualTypeOf<FleetMember>();
  const pugs = new GameServerFleet("pugs", {
    defaults: { gameType: "cs2", configuration: cs2 },
    count: 4,
    servers: { "server-1": { configuration: { maxPlayers: 12 } } },
  });
  // With a count, the keys are more than those written: `string`, nothing is refused.
  expectTypeOf(pugs.servers["server-4"]).toEqualTypeOf<FleetMember | undefined>();
  expectTypeOf(pugs.server("server-4")).toEqualTypeOf<FleetMember>();
}

describe("types a user's editor checks", () => {
  it("infers the game type of a server from its gameType", () => {
    expectTypeOf<ConstructorParameters<typeof GameServer<"cs2">>[1]["configuration"]>().not.toEqualTypeOf<
      ConstructorParameters<typeof GameServer<"valheim">>[1]["configuration"]
    >();
    expectTypeOf(declarations).toBeFunction();
    expectTypeOf(fleetKeys).toBeFunction();
  });
});

describe("GameServerFleet.server(key): a server by a key typed string", () => {
  /** A fleet declared against Pulumi's mocks: its outputs exist, nothing is deployed. */
  async function declared(args: ConstructorParameters<typeof GameServerFleet<"cs2">>[1]) {
    await pulumi.runtime.setMocks(
      { newResource: (a) => ({ id: `${a.name}_id`, state: a.inputs }), call: (a) => a.inputs },
      "typing",
      "test",
      false,
    );
    const fleet = new GameServerFleet("cup", args);
    await waitForRPCs();
    return fleet;
  }
  const defaults = { gameType: "cs2" as const, region: "eu-central-1" as const, configuration: cs2 };

  it("returns the server of a key from a file, and names the key and the fleet's keys for one the fleet lacks", async () => {
    const fromYaml: Record<string, FleetServer<"cs2">> = { "groups-1": {}, "final-1": {} };
    const fleet = await declared({ defaults, servers: fromYaml });
    expect(fleet.server("final-1")).toBe(fleet.servers["final-1"]);
    expect(() => fleet.server("final-2")).toThrow(
      new Error('GameServerFleet "cup" has no server "final-2"; its servers are groups-1, final-1'),
    );
    // Own keys only: what every object inherits is not a server.
    expect(() => fleet.server("constructor")).toThrow(/has no server "constructor"/);
  });

  it("lists the first 20 keys of a larger fleet", async () => {
    const fleet = await declared({ defaults, count: 25, nameTemplate: "pug-{n}" });
    const first20 = Array.from({ length: 20 }, (_, i) => `pug-${i + 1}`).join(", ");
    expect(() => fleet.server("pug-26")).toThrow(
      new Error(`GameServerFleet "cup" has no server "pug-26"; its servers are ${first20} and 5 more`),
    );
  });
});

describe("the SDK reports every problem of a request at once", () => {
  const env = useEmulator();

  it("names a startingMap outside mapPool even when another field is also wrong", async () => {
    const error = await env.client.gameServers
      .create({
        name: "x",
        gameType: "cs2",
        region: "eu-central-1",
        configuration: { ...CS2_CONFIG, tickrate: 100, startingMap: "de_nuke" },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestValidationError);
    expect((error as RequestValidationError).issues.map((i) => i.path).sort()).toEqual([
      "configuration.startingMap",
      "configuration.tickrate",
    ]);
    expect((await env.control.stats()).requests.total).toBe(0);
  });
});
