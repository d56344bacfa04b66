/**
 * `pulumi up` does what `pulumi preview` said: for each change an organizer makes to a running
 * tournament, the resources the preview says it creates, updates, replaces or deletes are the
 * ones the up that follows does, and no others.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type RealStack, useRealEngine } from "./helpers.js";

const real = useRealEngine();

/** Each resource's step, from the CLI's progress lines: `create`, `update`, `replace`, `delete`. */
function steps(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  const pattern = /^ (?:\+-|\+|~|-)\s+\S+:\S+\s+(\S+)\s+(create|update|replace|delete)(?:d)?(?: \(|\s|$)/gm;
  for (const [, name, step] of stdout.matchAll(pattern)) out[name!] = step!;
  return out;
}

describe("pulumi preview, then pulumi up, of a running tournament", () => {
  let stack: RealStack;
  let definition: string;

  /** Edits tournament.yaml, previews, ups: both must name the same steps. */
  async function change(edit: (yaml: string) => string): Promise<Record<string, string>> {
    writeFileSync(definition, edit(readFileSync(definition, "utf8")));
    const preview = await stack.ok(["preview"]);
    const up = await stack.up();
    expect(steps(up.stdout)).toEqual(steps(preview.stdout));
    expect(Object.keys(steps(up.stdout)).length).toBeGreaterThan(0);
    return steps(up.stdout);
  }

  it("a default changed: the servers are updated in place, their console commands are left alone", async () => {
    stack = await real.stack("examples/tournament", "dev");
    definition = path.join(stack.project.dir, "tournament.yaml");
    await stack.up();
    const done = await change((yaml) => yaml.replace(/^(\s+freezeTime:) 15$/m, "$1 18"));
    expect(Object.values(done).every((step) => step === "update")).toBe(true);
    expect(Object.keys(done).some((name) => name.endsWith("-ready"))).toBe(false);
  });

  it("a match added: its server, its console command and the roster", async () => {
    const done = await change((yaml) => yaml.replace(/(- name: groups\n\s+matches: )4/, "$15"));
    expect(done["groups-5-ready"]).toBe("create");
    expect(done["winter-cup-roster"]).toBe("update");
  });

  it("the final moved to another region: that server and its console command are replaced", async () => {
    const done = await change((yaml) =>
      yaml.replace("region: eu-central-1                     # the final", "region: eu-west-1 # the final"),
    );
    expect(done["final-1-ready"]).toBe("replace");
    expect(Object.keys(done).filter((name) => name.endsWith("-ready"))).toEqual(["final-1-ready"]);
  });

  it("a match removed: its console command and its server go", async () => {
    const done = await change((yaml) => yaml.replace(/(- name: groups\n\s+matches: )5/, "$14"));
    expect(done["groups-5-ready"]).toBe("delete");
    await stack.ok(["destroy", "--yes"]);
    expect(await real.live()).toEqual([]);
  });
});
