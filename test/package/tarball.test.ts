import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PulumiProject } from "../../scripts/pulumi/project.ts";
import { GameServersClient } from "../../sdk/index.js";
import { ROOT } from "../helpers/provider-host.js";
import { sh, userEnv } from "../helpers/shell.js";
import { realPulumi } from "../real-engine/helpers.js";
import { namedFiles } from "./markdown.js";

/**
 * The lines of a markdown section's first sh block that run npm or the project's own tools (`npx`):
 * what a test can run of the docs.
 */
function npmLines(markdown: string): string[] {
  const block = /```sh\n([\s\S]*?)```/.exec(markdown)?.[1] ?? "";
  return block
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l.startsWith("npm ") || l.startsWith("npx "));
}

/** The lines of a markdown section's first sh block, comments dropped. */
function shellLines(markdown: string): string[] {
  const block = /```sh\n([\s\S]*?)```/.exec(markdown)?.[1] ?? "";
  return block
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter(Boolean);
}

/** The system's Node.js older than 22.19 (this machine's is 20), outside any node_modules. */
function olderNode(): { path: string; version: string } {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir || dir.includes("node_modules")) continue;
    const candidate = path.join(dir, "node");
    if (!existsSync(candidate)) continue;
    const version = execFileSync(candidate, ["--version"], { encoding: "utf8" }).trim();
    const [major = 0, minor = 0] = version.slice(1).split(".").map(Number);
    if (major < 22 || (major === 22 && minor < 19)) return { path: candidate, version };
  }
  throw new Error("no Node.js older than 22.19 on PATH: this test follows the docs on the machine's system Node.js 20");
}

/**
 * Written into a project: deploys its program (the project directory) on a fresh emulator with the
 * offline runner from the INSTALLED package, prints what happened as JSON, and tears it down.
 */
const CHECK = `
import { startEmulator } from "pulumi-gameservers/emulator";
import { GameServersClient } from "pulumi-gameservers/sdk";
import { runOffline } from "pulumi-gameservers/testing";
const [project, config = "{}"] = process.argv.slice(2);
const emulator = await startEmulator();
const client = new GameServersClient({ apiKey: emulator.apiKey, baseUrl: emulator.url });
try {
  const run = await runOffline({ program: process.cwd(), project, apiUrl: emulator.url, apiKey: emulator.apiKey,
    config: JSON.parse(config), secretKeys: Object.keys(JSON.parse(config)), pollIntervalMs: 50 });
  const servers = (await client.gameServers.list()).items.map((s) => ({ status: s.status, connectUrl: s.connectUrl }));
  await run.destroy();
  const left = (await client.gameServers.list()).total;
  console.log(JSON.stringify({ outputs: run.outputs, servers, left }));
} finally {
  await client.close();
  await emulator.close();
}
`;

interface Checked {
  outputs: Record<string, unknown>;
  servers: { status: string; connectUrl: string | null }[];
  left: number;
}

async function deployOffline(project: string, name: string, config: Record<string, string> = {}): Promise<Checked> {
  await writeFile(path.join(project, "offline-check.mjs"), CHECK);
  const out = await sh(`node offline-check.mjs ${name} '${JSON.stringify(config)}'`, project);
  return JSON.parse(out.trim().split("\n").at(-1)!) as Checked;
}

describe("the packed package, installed as its docs say", () => {
  let work: string;
  let tarball: string;
  let shipped: string[];

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), "gs-install-"));
    // `npm pack` of the built package (npm test builds first), as a user makes it from a clone.
    const packed = JSON.parse(await sh(`npm pack --json --pack-destination "${work}"`, ROOT)) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = path.join(work, packed[0]!.filename);
    shipped = packed[0]!.files.map((f) => f.path);
  }, 60_000);
  afterAll(() => (work ? rm(work, { recursive: true, force: true }) : undefined));

  /** A copy of an example (or files) with the tarball placed next to its package.json, as the docs say. */
  async function project(name: string, from?: string): Promise<string> {
    const dir = path.join(work, name);
    if (from) await cp(from, dir, { recursive: true });
    await cp(tarball, path.join(dir, path.basename(tarball)));
    return dir;
  }

  it("is named as the docs' file: dependencies expect", () => {
    expect(path.basename(tarball)).toBe("pulumi-gameservers-0.1.0.tgz");
  });

  it("ships the built package and the docs it links to, not the benches, the API reference or the sources", () => {
    expect(shipped).toEqual(expect.arrayContaining(["package.json", "README.md", "sdk/emulator/README.md", "dist/provider/index.js"]));
    expect(shipped.filter((f) => /^dist\/(bench|api)\/|\.tsbuildinfo$|^(sdk|provider|test|examples)\/.*\.ts$/.test(f))).toEqual([]);
  });

  it("has source maps that carry their sources: no map points at a file the tarball lacks", async () => {
    const maps = shipped.filter((f) => f.endsWith(".js.map"));
    expect(maps.length).toBeGreaterThan(10);
    for (const file of maps) {
      const map = JSON.parse(await readFile(path.join(ROOT, file), "utf8")) as { sources: string[]; sourcesContent?: (string | null)[] };
      map.sources.forEach((source, i) => {
        const inTarball = shipped.includes(path.posix.join(path.posix.dirname(file), source));
        expect(inTarball || typeof map.sourcesContent?.[i] === "string", `${file}: ${source}`).toBe(true);
      });
    }
  });

  /**
   * docs/first-deployment.md's project: its four files, the tarball, and the page's commands up to
   * Pulumi (`npm install`, `npx tsc --noEmit`) run as written. Made once, for the tests that use it.
   */
  let firstDeployment: Promise<string> | undefined;
  function firstDeploymentProject(): Promise<string> {
    firstDeployment ??= (async () => {
      // The README's first deployment shows the same files and commands (test/package/docs-snippets.test.ts).
      const page = await readFile(path.join(ROOT, "docs/first-deployment.md"), "utf8");
      const files = namedFiles(page);
      expect([...files.keys()]).toEqual(["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts"]);
      const dir = await project("first-deployment");
      for (const [name, text] of files) {
        expect(text, name).toBe(await readFile(path.join(ROOT, "examples/quickstart", name), "utf8"));
        await writeFile(path.join(dir, name), text);
      }
      const lines = npmLines(page.slice(page.indexOf("`index.ts`:")));
      expect(lines).toEqual(["npm install", "npx tsc --noEmit"]);
      for (const line of lines) {
        const out = await sh(line, dir);
        expect(out).not.toMatch(/install-scripts/); // allowScripts answers npm's question
      }
      return dir;
    })();
    return firstDeployment;
  }

  it.concurrent("docs/first-deployment.md: the four files are examples/quickstart's; npm install and tsc in a project with the tarball; the program runs on the emulator", async () => {
    const dir = await firstDeploymentProject();
    // `tsc --init`'s exactOptionalPropertyTypes too: an optional input takes a value that may be undefined.
    await sh("npx tsc --noEmit --exactOptionalPropertyTypes", dir);
    const { outputs, servers, left } = await deployOffline(dir, "quickstart");
    expect(servers).toEqual([{ status: "running", connectUrl: expect.stringMatching(/^steam:\/\/connect\//) }]);
    expect(outputs.connectUrl).toBe(servers[0]!.connectUrl);
    expect(left).toBe(0);
  }, 180_000);

  it.concurrent("the quickstart's tsconfig.json: a second file imported as ./matches.ts checks as Node.js runs it; a type error in it fails, naming it", async () => {
    // A copy of the installed project (its node_modules linked, not installed again) that grows a second file.
    const installed = await firstDeploymentProject();
    const dir = path.join(work, "two-files");
    await mkdir(dir);
    for (const name of ["Pulumi.yaml", "package.json", "tsconfig.json"]) await cp(path.join(installed, name), path.join(dir, name));
    await symlink(path.join(installed, "node_modules"), path.join(dir, "node_modules"), "dir");
    const index = await readFile(path.join(installed, "index.ts"), "utf8");
    await writeFile(
      path.join(dir, "index.ts"),
      `${index.replace('import { GameServer } from "pulumi-gameservers";', '$&\nimport { finalMap } from "./matches.ts";')}export const nextMap = finalMap;\n`,
    );
    // A type import marked `type` (Node.js strips it), a record read that may be undefined.
    const matches = (finalMap: string) =>
      [
        'import type { Region } from "pulumi-gameservers";',
        'export const home: Region = "eu-central-1";',
        'const maps: Record<string, string> = { "semi-1": "de_mirage", final: "de_inferno" };',
        `export const finalMap: string = ${finalMap};`,
        "",
      ].join("\n");
    await writeFile(path.join(dir, "matches.ts"), matches('maps.final ?? "de_dust2"'));
    await sh("npx tsc --noEmit", dir);
    // What tsc accepts, Node.js runs: the program with its second file, on the emulator.
    const { outputs, left } = await deployOffline(dir, "quickstart");
    expect(outputs.nextMap).toBe("de_inferno");
    expect(left).toBe(0);

    // noUncheckedIndexedAccess: the read may be undefined, and tsc fails naming the file and the line.
    await writeFile(path.join(dir, "matches.ts"), matches("maps.final"));
    await expect(sh("npx tsc --noEmit", dir)).rejects.toThrow(
      /exited [1-9]\d*:\n[\s\S]*matches\.ts\(4,\d+\): error TS2322: Type 'string \| undefined' is not assignable to type 'string'/,
    );
  }, 180_000);

  it.concurrent("docs/first-deployment.md on Node.js 20 with nothing else installed: the project brings its own Node.js, and nothing warns", async () => {
    const old = olderNode();
    const page = await readFile(path.join(ROOT, "docs/first-deployment.md"), "utf8");
    const setup = shellLines(page.slice(page.indexOf("**An older Node.js**")));
    expect(setup).toEqual(['echo "loglevel=error" > .npmrc', "npm install --save-dev node@24"]);
    const dir = await project("first-deployment-node20");
    // Nothing but the system's Node.js and npm on PATH: the user's shell on that machine.
    const env = { ...userEnv(), PATH: [path.dirname(old.path), "/usr/bin", "/bin"].join(path.delimiter) };
    const run = (line: string) => sh(line, dir, env);
    expect(await run("node --version")).toBe(`${old.version}\n`);
    for (const line of setup) expect(await run(line)).not.toMatch(/warn/i);
    for (const [name, text] of namedFiles(page)) {
      // The project's package.json keeps what `npm install --save-dev node@24` added to it.
      if (name === "package.json") {
        const own = JSON.parse(await readFile(path.join(dir, name), "utf8")) as { devDependencies: Record<string, string> };
        const written = JSON.parse(text) as { devDependencies: Record<string, string> };
        written.devDependencies.node = own.devDependencies.node!;
        await writeFile(path.join(dir, name), JSON.stringify(written, null, 2));
      } else await writeFile(path.join(dir, name), text);
    }
    for (const line of npmLines(page.slice(page.indexOf("`index.ts`:")))) expect(await run(line)).not.toMatch(/warn/i);
    // npx puts the project's Node.js first: Pulumi runs the program on it.
    const node = path.join(dir, "node_modules", ".bin", "node");
    expect(await run("npx --no -- node --version")).toMatch(/^v24\./);
    // "Without the real API": the emulator the page starts, as written, on the project's Node.js.
    const emulator = spawn("npx --no -- gameservers-emulator", {
      cwd: dir,
      env,
      shell: true,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    try {
      const printed = await new Promise<string>((resolve, reject) => {
        let out = "";
        emulator.stdout!.on("data", (d) => {
          out += d;
          if (/GAMESERVERS_API_KEY=\S+\n/.test(out)) resolve(out);
        });
        emulator.on("exit", (code) => reject(new Error(`the emulator exited ${code}: ${out}`)));
      });
      const url = /GAMESERVERS_API_URL=(\S+)/.exec(printed)![1]!;
      const key = /GAMESERVERS_API_KEY=(\S+)/.exec(printed)![1]!;
      // Deploy, with the real CLI: `pulumi login --local` is the project's own file backend here.
      const pulumi = new PulumiProject(await realPulumi(), dir, { node, path: ["/usr/bin", "/bin"].join(path.delimiter) });
      try {
        const deploy = shellLines(page.slice(page.indexOf("## Deploy")));
        expect(deploy.filter((l) => l.startsWith("pulumi "))).toEqual([
          "pulumi login --local",
          "pulumi stack init dev",
          "pulumi config set --secret gameservers:apiKey <your API key>",
          "pulumi up",
          "pulumi stack output connectUrl",
        ]);
        await pulumi.initStack("dev");
        await pulumi.ok(["config", "set", "--stack", "dev", "--secret", "gameservers:apiKey", "--", key]);
        await pulumi.ok(["config", "set", "--stack", "dev", "gameservers:apiUrl", url]);
        const up = await pulumi.ok(["up", "--yes", "--stack", "dev"]);
        expect(up.program + up.stderr).not.toMatch(/warn/i);
        const connectUrl = (await pulumi.ok(["stack", "output", "connectUrl", "--stack", "dev"])).stdout.trim();
        const client = new GameServersClient({ apiKey: key, baseUrl: url });
        try {
          const [server, ...others] = (await client.gameServers.list()).items;
          expect([server?.status, server?.connectUrl, others]).toEqual(["running", connectUrl, []]);
          await pulumi.ok(["destroy", "--yes", "--stack", "dev"]);
          expect((await client.gameServers.list()).total).toBe(0);
        } finally {
          await client.close();
        }
      } finally {
        await pulumi.dispose();
      }
    } finally {
      process.kill(-emulator.pid!, "SIGTERM");
    }
    // And the system's Node.js is refused by the package, saying which it needs.
    await writeFile(path.join(dir, "offline-check.mjs"), CHECK);
    await expect(run(`node offline-check.mjs quickstart '{}'`)).rejects.toThrow(/pulumi-gameservers needs Node\.js 22\.19\.0 or newer/);
  }, 300_000);

  it.concurrent("examples/tournament: its README's install and type check in a copy, then the event on the emulator", async () => {
    const dir = await project("tournament", path.join(ROOT, "examples/tournament"));
    // The quickstart's tsconfig.json, and its type check as a step of the install.
    expect(await readFile(path.join(dir, "tsconfig.json"), "utf8")).toBe(
      await readFile(path.join(ROOT, "examples/quickstart/tsconfig.json"), "utf8"),
    );
    const lines = npmLines(await readFile(path.join(dir, "README.md"), "utf8"));
    expect(lines).toEqual(["npm install", "npx tsc --noEmit"]);
    for (const line of lines) await sh(line, dir);
    // js-yaml as pinned (a js-yaml 5 broke the example's default import).
    const yamlVersion = JSON.parse(await readFile(path.join(dir, "node_modules/js-yaml/package.json"), "utf8")).version as string;
    expect(yamlVersion).toMatch(/^4\./);
    const { outputs, servers, left } = await deployOffline(dir, "tournament", { "tournament:serverPassword": "finals" });
    expect(outputs.serverCount).toBe(7);
    expect(servers.map((s) => s.status)).toEqual(Array(7).fill("running"));
    expect(left).toBe(0);
  }, 180_000);

  it.concurrent("examples/gitops: set up in infra/ as its README says, the workflow's preview steps (npm ci, npm test with its type check) pass as written", async () => {
    const infra = await project("gitops/infra", path.join(ROOT, "examples/gitops"));
    const workflow = yaml.load(await readFile(path.join(infra, ".github/workflows/gameservers.yml"), "utf8")) as {
      jobs: { preview: { defaults: { run: { "working-directory": string } }; steps: { run?: string }[] } };
    };
    expect(workflow.jobs.preview.defaults.run["working-directory"]).toBe("infra");
    const steps = workflow.jobs.preview.steps.flatMap((s) => (s.run ? [s.run] : []));
    expect(steps).toEqual(["npm ci", "npm test"]);
    // npm test type-checks first, with the quickstart's tsconfig.json.
    expect(await readFile(path.join(infra, "tsconfig.json"), "utf8")).toBe(
      await readFile(path.join(ROOT, "examples/quickstart/tsconfig.json"), "utf8"),
    );
    const { scripts } = JSON.parse(await readFile(path.join(infra, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(scripts.test).toMatch(/^tsc --noEmit && /);
    for (const step of steps) await sh(step, infra);
    // npm ci installed the tarball beside it (the lockfile keeps no hash of it), not an older one from npm's cache.
    const file = "dist/sdk/emulator/bin.js";
    expect(await readFile(path.join(infra, "node_modules/pulumi-gameservers", file), "utf8")).toBe(
      await readFile(path.join(ROOT, file), "utf8"),
    );
  }, 180_000);
});
