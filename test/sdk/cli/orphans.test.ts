import { describe, expect, it } from "vitest";
import { findOrphans, readStateClaims } from "../../../sdk/cli/orphans.js";
import { FLEET_SERVERS_TYPE, GAME_SERVER_TYPE } from "../../../sdk/internal/pulumi.js";
import { server } from "../../helpers/game-server.js";

const SECRET = "4dabf18193072939515e22adb298388d";
const SIG = "1b47061264138c4ac30d75fd1eb44270";

describe("orphans: what a checkpoint owns and claims", () => {
  const ours = (id: string, inputs: Record<string, unknown>, outputs: Record<string, unknown> = inputs) => ({
    urn: `urn:pulumi:dev::p::${GAME_SERVER_TYPE}::${id}`,
    type: GAME_SERVER_TYPE,
    id,
    inputs,
    outputs,
  });
  /** A FleetServers resource of fleet "cup" with these per-server inputs and outputs. */
  const fleet = (inputs: Record<string, unknown>, outputs: Record<string, unknown>) => ({
    urn: `urn:pulumi:dev::p::gameservers:index:GameServerFleet$${FLEET_SERVERS_TYPE}::cup-servers`,
    type: FLEET_SERVERS_TYPE,
    id: "fleet-ab12cd34ef56",
    inputs: { fleet: "cup", servers: inputs, passwords: { [SECRET]: SIG, ciphertext: "x" } },
    outputs: { fleet: "cup", servers: outputs, passwords: { [SECRET]: SIG, ciphertext: "x" } },
  });

  it("lists a pending create's server and leaves owned and foreign servers alone", () => {
    const state = {
      version: 3,
      deployment: {
        resources: [ours("srv_owned", { name: "cup-1" })],
        pending_operations: [{ resource: { urn: "urn:x", type: GAME_SERVER_TYPE, inputs: { name: "cup-2" } }, type: "creating" }],
      },
    };
    const live = [server("srv_owned", "cup-1"), server("srv_left", "cup-2"), server("srv_other", "lobby")];
    const found = findOrphans(readStateClaims(JSON.stringify(state)), live);
    expect(found.map((o) => [o.server.id, o.reasons])).toEqual([["srv_left", ["pending create"]]]);
  });

  it("lists an unresolved placeholder's server and auto-named servers of a known prefix", () => {
    const deployment = {
      resources: [
        ours("srv_a", { autoNamePrefix: "match" }, { name: "match-0123abc", autoNamePrefix: "match" }),
        ours("unresolved-create:00ff", { name: "final" }, { name: "final", serverId: null }),
      ],
    };
    const live = [
      server("srv_a", "match-0123abc"),
      server("srv_b", "match-fedcba9"),
      server("srv_c", "match-fedcba98"), // 8 hex: not an auto-name
      server("srv_d", "final"),
      server("srv_e", "final", { deletedAt: "2026-01-02T00:00:00.000Z" }),
    ];
    // A bare deployment object is accepted too.
    const found = findOrphans(readStateClaims(JSON.stringify(deployment)), live);
    expect(found.map((o) => [o.server.id, o.reasons])).toEqual([
      ["srv_b", ["same auto-name prefix"]],
      ["srv_d", ["unresolved create"]],
    ]);
  });

  it("matches auto-names of a long prefix as the provider cuts it (92 characters)", () => {
    const prefix = "p".repeat(120);
    const claims = readStateClaims(JSON.stringify({ resources: [ours("srv_a", { autoNamePrefix: prefix })] }));
    expect(findOrphans(claims, [server("srv_x", `${"p".repeat(92)}-abcdef0`)])).toHaveLength(1);
  });

  it("never uses a secret value of the state", () => {
    const secretName = { [SECRET]: SIG, plaintext: JSON.stringify("cup-9") };
    const state = {
      deployment: {
        resources: [],
        pending_operations: [{ resource: { type: GAME_SERVER_TYPE, inputs: { name: secretName } }, type: "creating" }],
      },
    };
    expect(findOrphans(readStateClaims(JSON.stringify(state)), [server("srv_9", "cup-9")])).toEqual([]);
  });

  it("ignores other resource types and pending operations other than creates", () => {
    const state = {
      deployment: {
        resources: [{ type: "pulumi-nodejs:dynamic/gameservers:ServerCommand", id: "cmd", inputs: { name: "cup-1" } }],
        pending_operations: [{ resource: { type: GAME_SERVER_TYPE, inputs: { name: "cup-1" } }, type: "deleting" }],
      },
    };
    expect(findOrphans(readStateClaims(JSON.stringify(state)), [server("srv_1", "cup-1")])).toEqual([]);
  });

  it("counts servers and resources: one per GameServer, one per server of a fleet", () => {
    const deployment = {
      resources: [
        ours("srv_solo", { name: "solo" }),
        fleet({ a: { name: "cup-a" }, b: { name: "cup-b" } }, { a: { id: "srv_a", name: "cup-a" }, b: { id: "srv_b", name: "cup-b" } }),
        { type: "pulumi-nodejs:dynamic/gameservers:FleetRoster", id: "roster", inputs: {}, outputs: {} },
      ],
    };
    const claims = readStateClaims(JSON.stringify(deployment));
    expect([claims.resourceCount, claims.serverCount]).toEqual([2, 3]);
    expect([...claims.ownedIds]).toEqual(["srv_solo", "srv_a", "srv_b"]);
  });

  it("a fleet owns its servers' ids and lists its unresolved placeholder's server", () => {
    const deployment = {
      resources: [
        fleet(
          { a: { name: "cup-a" }, b: { name: "cup-b" } },
          { a: { id: "srv_a", serverId: "srv_a", name: "cup-a" }, b: { id: "unresolved-create:00ff", serverId: null, name: "cup-b" } },
        ),
      ],
    };
    const live = [server("srv_a", "cup-a"), server("srv_b", "cup-b"), server("srv_other", "lobby")];
    const found = findOrphans(readStateClaims(JSON.stringify(deployment)), live);
    expect(found.map((o) => [o.server.id, o.reasons])).toEqual([["srv_b", ["unresolved create"]]]);
  });

  it("an unresolved placeholder in a fleet without an output name is claimed by its input name", () => {
    const deployment = { resources: [fleet({ a: { name: "cup-a" } }, { a: { id: "unresolved-create:00ff" } })] };
    const found = findOrphans(readStateClaims(JSON.stringify(deployment)), [server("srv_a", "cup-a")]);
    expect(found.map((o) => [o.server.id, o.reasons])).toEqual([["srv_a", ["unresolved create"]]]);
  });

  it("lists auto-named servers of a fleet server's prefix, from its inputs or its outputs", () => {
    const deployment = {
      resources: [
        fleet(
          { a: { autoNamePrefix: "cup-a", name: "cup-a-0123abc" }, b: { autoNamePrefix: "cup-b" } },
          { a: { id: "srv_a", name: "cup-a-0123abc" }, b: { id: "srv_b", name: "cup-b-0123abc", autoNamePrefix: "cup-b" } },
        ),
        fleet({}, { c: { id: "srv_c", name: "cup-c-0123abc", autoNamePrefix: "cup-c" } }),
      ],
    };
    const live = ["a", "b", "c"].flatMap((k) => [server(`srv_${k}`, `cup-${k}-0123abc`), server(`srv_${k}2`, `cup-${k}-fedcba9`)]);
    const found = findOrphans(readStateClaims(JSON.stringify(deployment)), live);
    expect(found.map((o) => [o.server.id, o.reasons])).toEqual([
      ["srv_a2", ["same auto-name prefix"]],
      ["srv_b2", ["same auto-name prefix"]],
      ["srv_c2", ["same auto-name prefix"]],
    ]);
  });

  it("lists the servers of a pending create and of a pending update of a fleet, and their auto-name prefixes", () => {
    const deployment = {
      resources: [fleet({ a: { name: "cup-a" } }, { a: { id: "srv_a", name: "cup-a" } })],
      pending_operations: [
        {
          resource: {
            type: FLEET_SERVERS_TYPE,
            inputs: { fleet: "new", servers: { x: { name: "new-x" }, y: { autoNamePrefix: "new-y" } } },
          },
          type: "creating",
        },
        {
          resource: { type: FLEET_SERVERS_TYPE, inputs: { fleet: "cup", servers: { a: { name: "cup-a" }, b: { name: "cup-b" } } } },
          type: "updating",
        },
      ],
    };
    const claims = readStateClaims(JSON.stringify(deployment));
    expect(claims.pendingCreates).toBe(2);
    const live = [
      server("srv_a", "cup-a"),
      server("srv_b", "cup-b"),
      server("srv_x", "new-x"),
      server("srv_y", "new-y-0123abc"),
      server("srv_z", "lobby"),
    ];
    expect(findOrphans(claims, live).map((o) => [o.server.id, o.reasons])).toEqual([
      ["srv_b", ["pending create"]],
      ["srv_x", ["pending create"]],
      ["srv_y", ["same auto-name prefix"]],
    ]);
  });

  it("a pending delete of a fleet claims no name, and a fleet's secret names are never used", () => {
    const secretServers = { [SECRET]: SIG, plaintext: JSON.stringify({ a: { name: "cup-a" } }) };
    const deployment = {
      resources: [],
      pending_operations: [
        { resource: { type: FLEET_SERVERS_TYPE, inputs: { servers: { b: { name: "cup-b" } } } }, type: "deleting" },
        {
          resource: { type: FLEET_SERVERS_TYPE, inputs: { servers: { c: { name: { [SECRET]: SIG, plaintext: '"cup-c"' } } } } },
          type: "creating",
        },
        { resource: { type: FLEET_SERVERS_TYPE, inputs: { servers: secretServers } }, type: "creating" },
      ],
    };
    const live = [server("srv_a", "cup-a"), server("srv_b", "cup-b"), server("srv_c", "cup-c")];
    expect(findOrphans(readStateClaims(JSON.stringify(deployment)), live)).toEqual([]);
  });

  it("reads a state that mixes GameServer resources and fleets", () => {
    const state = {
      version: 3,
      deployment: {
        resources: [
          ours("srv_solo", { name: "solo" }),
          ours("unresolved-create:0a", { name: "lost" }, { name: "lost", serverId: null }),
          fleet({ a: { autoNamePrefix: "cup-a" } }, { a: { id: "srv_a", name: "cup-a-0123abc", autoNamePrefix: "cup-a" } }),
        ],
        pending_operations: [
          { resource: { type: GAME_SERVER_TYPE, inputs: { name: "solo-2" } }, type: "creating" },
          { resource: { type: FLEET_SERVERS_TYPE, inputs: { servers: { b: { name: "cup-b" } } } }, type: "updating" },
        ],
      },
    };
    const live = [
      server("srv_solo", "solo"),
      server("srv_lost", "lost"),
      server("srv_a", "cup-a-0123abc"),
      server("srv_a2", "cup-a-fedcba9"),
      server("srv_solo2", "solo-2"),
      server("srv_b", "cup-b"),
      server("srv_other", "lobby"),
    ];
    const claims = readStateClaims(JSON.stringify(state));
    expect([claims.resourceCount, claims.serverCount, claims.pendingCreates]).toEqual([3, 3, 2]);
    expect(findOrphans(claims, live).map((o) => [o.server.id, o.reasons])).toEqual([
      ["srv_lost", ["unresolved create"]],
      ["srv_a2", ["same auto-name prefix"]],
      ["srv_solo2", ["pending create"]],
      ["srv_b", ["pending create"]],
    ]);
  });

  it("refuses text that is not a checkpoint without quoting it", () => {
    expect(() => readStateClaims('{"password": "hunter2hunter2", oops}')).toThrow(/^the state is not valid JSON \(at character \d+\)$/);
    expect(() => readStateClaims("[1]")).toThrow(/not a JSON object/);
    expect(() => readStateClaims('{"hello": 1}')).toThrow(/not `pulumi stack export` output/);
  });
});
