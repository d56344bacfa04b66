/**
 * The serialized provider of every FleetServers (the servers of a GameServerFleet): like the
 * GameServer shim (`dynamic-provider.ts`), a tiny object whose methods load the implementation
 * from the installed package by name, inside their bodies.
 *
 * COMPATIBILITY PROMISE: this module's export path (`pulumi-gameservers/fleet-provider`),
 * its method names and the path it requires (`pulumi-gameservers/fleet-handlers`) are
 * written into every state that holds a fleet. Never move or rename them.
 */
import type * as handlers from "./fleet-servers-handlers.js";

type H = typeof handlers;
type Args<K extends keyof H> = H[K] extends (...args: infer P) => unknown ? P : never;

export = {
  configure: (...a: Args<"configure">) => (require("pulumi-gameservers/fleet-handlers") as H).configure(...a),
  check: (...a: Args<"check">) => (require("pulumi-gameservers/fleet-handlers") as H).check(...a),
  diff: (...a: Args<"diff">) => (require("pulumi-gameservers/fleet-handlers") as H).diff(...a),
  create: (...a: Args<"create">) => (require("pulumi-gameservers/fleet-handlers") as H).create(...a),
  read: (...a: Args<"read">) => (require("pulumi-gameservers/fleet-handlers") as H).read(...a),
  update: (...a: Args<"update">) => (require("pulumi-gameservers/fleet-handlers") as H).update(...a),
  delete: (...a: Args<"delete">) => (require("pulumi-gameservers/fleet-handlers") as H).delete(...a),
};
