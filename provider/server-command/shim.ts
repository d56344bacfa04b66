/**
 * The serialized provider of every ServerCommand: like the GameServer's (game-server/shim.ts),
 * its methods require the implementation by package name.
 * COMPATIBILITY PROMISE: `pulumi-gameservers/command-provider`, these method names and
 * `pulumi-gameservers/command-handlers` are written into every state that holds a
 * ServerCommand: the package's `exports` keep both paths, whatever file they point at.
 */
import type * as handlers from "./handlers.js";

type H = typeof handlers;
type Args<K extends keyof H> = H[K] extends (...args: infer P) => unknown ? P : never;

export = {
  configure: (...a: Args<"configure">) => (require("pulumi-gameservers/command-handlers") as H).configure(...a),
  check: (...a: Args<"check">) => (require("pulumi-gameservers/command-handlers") as H).check(...a),
  diff: (...a: Args<"diff">) => (require("pulumi-gameservers/command-handlers") as H).diff(...a),
  create: (...a: Args<"create">) => (require("pulumi-gameservers/command-handlers") as H).create(...a),
  read: (...a: Args<"read">) => (require("pulumi-gameservers/command-handlers") as H).read(...a),
  update: (...a: Args<"update">) => (require("pulumi-gameservers/command-handlers") as H).update(...a),
  delete: (...a: Args<"delete">) => (require("pulumi-gameservers/command-handlers") as H).delete(...a),
};
