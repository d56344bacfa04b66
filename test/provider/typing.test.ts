/**
 * What a user's editor checks. The `@ts-expect-error` lines are the tests: `npm test`
 * type-checks this file (`tsc -p tsconfig.json`), and a line that stops being an error fails
 * the type-check. The program is declared, never run.
 */
import type * as pulumi from "@pulumi/pulumi";
import { GameServer, GameServerFleet, type Region } from "pulumi-gameservers";
import { describe, expect, expectTypeOf, it } from "vitest";
import { RequestValidationError } from "../../sdk/index.js";
import { CS2_CONFIG, useEmulator } from "../helpers/emulator.js";

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

describe("types a user's editor checks", () => {
  it("infers the game type of a server from its gameType", () => {
    expectTypeOf<ConstructorParameters<typeof GameServer<"cs2">>[1]["configuration"]>().not.toEqualTypeOf<
      ConstructorParameters<typeof GameServer<"valheim">>[1]["configuration"]
    >();
    expectTypeOf(declarations).toBeFunction();
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
