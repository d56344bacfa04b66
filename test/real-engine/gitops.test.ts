import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GameServersClient } from "../../sdk/index.js";
import { ROOT } from "../helpers/provider-host.js";
import { sh } from "../helpers/shell.js";
import { type RealStack, useRealEngine } from "./helpers.js";

/** The user's repository: infra/ holds the example. Removed after the engine's own cleanup (hooks run in reverse). */
let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "gs-gitops-"));
});
afterAll(() => (work ? rm(work, { recursive: true, force: true }) : undefined));

const real = useRealEngine();

interface Step {
  run?: string;
  uses?: string;
  with?: Record<string, string | boolean>;
}
interface Workflow {
  jobs: Record<"preview" | "deploy", { defaults: { run: { "working-directory": string } }; steps: Step[] }>;
}

/** The job's `run` steps before its Pulumi action, and that action. */
function split(steps: Step[]): { runs: string[]; pulumi: Step } {
  const at = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
  return { runs: steps.slice(0, at).flatMap((s) => (s.run ? [s.run] : [])), pulumi: steps[at]! };
}

/** The `pulumi` command line a pulumi/actions step runs (`command`, `refresh`), for `run` and `up`. */
function pulumiArgs(step: Step): string[] {
  const command = String(step.with?.command);
  return [command, ...(command === "up" ? ["--yes"] : []), ...(step.with?.refresh === true ? ["--refresh"] : [])];
}

describe("examples/gitops under the real engine", () => {
  let infra: string;
  let workflow: Workflow;
  let stack: RealStack;
  let apiKey: string;
  let org: GameServersClient;
  /** The key reaches the provider as CI gives it: the environment, never the stack's config. */
  const env = () => ({ GAMESERVERS_API_KEY: apiKey });

  beforeAll(async () => {
    // The README's setup: the example's files in infra/ of a repository, the tarball beside them.
    infra = path.join(work, "infra");
    await cp(path.join(ROOT, "examples/gitops"), infra, { recursive: true });
    const packed = JSON.parse(await sh(`npm pack --json --pack-destination "${infra}"`, ROOT)) as { filename: string }[];
    expect(packed.map((p) => p.filename)).toEqual(["pulumi-gameservers-0.1.0.tgz"]);
    workflow = yaml.load(await readFile(path.join(infra, ".github/workflows/gameservers.yml"), "utf8")) as Workflow;
    ({ apiKey, client: org } = await real.organization("org_gitops"));
  }, 60_000);

  it("the preview job's steps up to the Pulumi action (npm ci, npm test) pass as written in infra/", async () => {
    const job = workflow.jobs.preview;
    expect(job.defaults.run["working-directory"]).toBe("infra");
    const { runs, pulumi } = split(job.steps);
    expect(runs).toEqual(["npm ci", "npm test"]);
    expect(pulumi.with).toMatchObject({ "stack-name": "production", "work-dir": "infra" });
    for (const line of runs) await sh(line, path.join(work, job.defaults.run["working-directory"]));
  }, 120_000);

  it("the action's pulumi preview of stack production shows the fleet of Pulumi.production.yaml and writes nothing", async () => {
    const { pulumi } = split(workflow.jobs.preview.steps);
    expect(pulumiArgs(pulumi)).toEqual(["preview", "--refresh"]);
    // Against the emulator: its URL in the stack's config, the key left out of it.
    stack = await real.stack("examples/gitops", String(pulumi.with!["stack-name"]), { dir: infra });
    await stack.ok(["config", "rm", "gameservers:apiKey"]);
    const preview = await stack.ok(pulumiArgs(pulumi), { env: env() });
    expect(preview.stdout).toMatch(/\+\s+pulumi-nodejs:dynamic\/gameservers:FleetRoster\s+pugs-roster\s+create/);
    // Each server of the roster, its address not known before it exists.
    for (const n of [1, 2, 3, 4]) expect(preview.stdout).toMatch(new RegExp(`pug-${n}: \\{\\s+connectUrl\\s+: \\[unknown\\]`));
    expect(await real.writes()).toBe(0);
  });

  it("the deploy job's pulumi up runs the four servers, in the organization of the key from the environment", async () => {
    const { runs, pulumi } = split(workflow.jobs.deploy.steps);
    expect(runs).toEqual(["npm ci"]);
    expect(pulumiArgs(pulumi)).toEqual(["up", "--yes", "--refresh"]);
    await stack.ok(pulumiArgs(pulumi), { env: env() });
    const live = await real.live(org);
    expect(live.map((s) => [s.name.replace(/-[0-9a-f]{7}$/, ""), s.status, s.autoStop, s.autostopMinutes]).sort()).toEqual(
      [1, 2, 3, 4].map((n) => [`pugs-pug-${n}`, "running", true, 45]),
    );
    expect(live.map((s) => s.region).sort()).toEqual(["us-east-1", "us-east-1", "us-west-2", "us-west-2"]);
    // None in the emulator's seeded organization (whose key the stack never had).
    expect(await real.live()).toEqual([]);
    const roster = (await stack.outputs()).roster as Record<string, { connectUrl: string }>;
    expect(
      Object.values(roster)
        .map((r) => r.connectUrl)
        .sort(),
    ).toEqual(live.map((s) => s.connectUrl).sort());
  });

  it("the next pull request's preview of the unchanged definition shows no change and writes nothing", async () => {
    const writes = await real.writes();
    const preview = await stack.ok(pulumiArgs(split(workflow.jobs.preview.steps).pulumi), { env: env() });
    expect(preview.stdout).toMatch(/Resources:\s+7 unchanged/);
    expect(await real.writes()).toBe(writes);
  });

  it("pulumi destroy deletes every server; the key was in neither the stack's config file nor its state", async () => {
    await stack.ok(["destroy", "--yes"], { env: env() });
    expect(await real.live(org)).toEqual([]);
    const config = await readFile(path.join(infra, "Pulumi.production.yaml"), "utf8");
    expect(config).not.toMatch(/gameservers:apiKey/);
    expect(config).toMatch(/gitops:fleet:/);
    expect(stack.stateFile()).not.toContain(apiKey);
  });
});
