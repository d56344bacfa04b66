/**
 * The serialized provider of every GameServer: its methods require the implementation by package
 * name inside their bodies, so each resource's state stores a `require` of this module (see
 * https://www.pulumi.com/docs/iac/concepts/functions/function-serialization/).
 * COMPATIBILITY PROMISE: `pulumi-gameservers/dynamic-provider`, these method names and
 * `pulumi-gameservers/handlers` are written into every existing state and loaded again by later
 * refresh and destroy runs: the package's `exports` keep both paths, whatever file they point at.
 */
import type * as handlers from "./handlers.js";

type H = typeof handlers;
type Args<K extends keyof H> = H[K] extends (...args: infer P) => unknown ? P : never;

// Arrow functions in a plain object: the smallest serialized form (no `this`/`arguments`
// wrappers, no __esModule marker). Each body requires the implementation when first called.
export = {
  configure: (...a: Args<"configure">) => (require("pulumi-gameservers/handlers") as H).configure(...a),
  check: (...a: Args<"check">) => (require("pulumi-gameservers/handlers") as H).check(...a),
  diff: (...a: Args<"diff">) => (require("pulumi-gameservers/handlers") as H).diff(...a),
  create: (...a: Args<"create">) => (require("pulumi-gameservers/handlers") as H).create(...a),
  read: (...a: Args<"read">) => (require("pulumi-gameservers/handlers") as H).read(...a),
  update: (...a: Args<"update">) => (require("pulumi-gameservers/handlers") as H).update(...a),
  delete: (...a: Args<"delete">) => (require("pulumi-gameservers/handlers") as H).delete(...a),
};
