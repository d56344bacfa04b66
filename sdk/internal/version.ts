import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

let version: string | undefined;

/**
 * This package's version, from its package.json: the nearest one named `pulumi-gameservers`
 * above this module (two levels up from the sources, three from `dist/`). Read once, on first
 * use, so that importing this module reads nothing.
 */
export function packageVersion(): string {
  version ??= find();
  return version;
}

function find(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === "pulumi-gameservers" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // No package.json here (or not ours): look further up.
    }
    if (dirname(dir) === dir) return "unknown";
  }
}
