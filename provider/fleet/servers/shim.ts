/**
 * The serialized provider of every FleetServers (a part of a fleet's servers): like the
 * GameServer's (game-server/shim.ts), its methods require the implementation by package name.
 * COMPATIBILITY PROMISE: `pulumi-gameservers/fleet-provider`, these method names and
 * `pulumi-gameservers/fleet-handlers` are written into every state that holds a fleet: the
 * package's `exports` keep both paths, whatever file they point at.
 */
import type * as handlers from "./handlers.js";

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
