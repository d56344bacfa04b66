/**
 * Finds a Pulumi CLI, or builds one from its Go modules into a cache outside the repository.
 *
 * Order: `PULUMI_CLI`, then `pulumi` on PATH, then a cached build, then a build (Go needed).
 * `npm run setup:pulumi` runs this file; `npm test` runs it before the tests.
 */
import { execFile, spawn } from "node:child_process";
import { accessSync, chmodSync, constants, cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The CLI's Go module (tags `pkg/v3.X.Y`) and the package that builds the binary. */
const CLI_MODULE = "github.com/pulumi/pulumi/pkg/v3";
const SDK_MODULE = "github.com/pulumi/pulumi/sdk/v3";
/** The Node.js language host's module: no tags of its own, taken at the root tag's commit. */
export const LANGUAGE_HOST_MODULE = "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3";
const VERSION_FLAG = "github.com/pulumi/pulumi/sdk/v3/go/common/version.Version";

export interface PulumiCli {
  /** Absolute path of the `pulumi` binary. */
  bin: string;
  /** `v3.X.Y` as the binary reports it. */
  version: string;
  /** Where it came from. */
  source: "PULUMI_CLI" | "PATH" | "cache" | "built";
}

/** `~/.cache/pulumi-gameservers/pulumi` (or under `$XDG_CACHE_HOME`): builds, one folder per version. */
export function cacheRoot(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "pulumi-gameservers", "pulumi");
}

/** The `@pulumi/pulumi` version this project depends on (a CLI newer than it is not wanted). */
export function sdkVersion(): string {
  const require = createRequire(import.meta.url);
  return `v${(require("@pulumi/pulumi/package.json") as { version: string }).version}`;
}

/** Finds a CLI without building one; undefined when there is none. */
export async function findPulumi(): Promise<PulumiCli | undefined> {
  const fromEnv = process.env.PULUMI_CLI;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`PULUMI_CLI is set to ${fromEnv}, which is not an executable file`);
    return { bin: path.resolve(fromEnv), version: await versionOf(fromEnv), source: "PULUMI_CLI" };
  }
  const onPath = whichPulumi();
  if (onPath) return { bin: onPath, version: await versionOf(onPath), source: "PATH" };
  const cached = cachedBuild(sdkVersion());
  if (cached) return { bin: cached, version: await versionOf(cached), source: "cache" };
  return undefined;
}

/** Finds a CLI, building one when there is none. Progress goes to `log`. */
export async function setupPulumi(log: (line: string) => void = (l) => console.log(l)): Promise<PulumiCli> {
  const found = await findPulumi();
  if (found) return found;
  const go = findGo();
  if (!go) {
    throw new Error(
      "No Pulumi CLI: install one (https://www.pulumi.com/docs/install/) and put it on PATH or in PULUMI_CLI, or install Go >= 1.26 (https://go.dev/dl/) so that `npm run setup:pulumi` can build it",
    );
  }
  const bin = await buildPulumi(go, log);
  return { bin, version: await versionOf(bin), source: "built" };
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `pulumi` on PATH; an npm package's `node_modules/.bin` shim that downloads one is not a CLI. */
function whichPulumi(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir || dir.split(path.sep).includes("node_modules")) continue;
    const candidate = path.join(dir, "pulumi");
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** `$GO` when set (a path, as Makefiles take it), else `go` on PATH, else Go's default install. */
function findGo(): string | undefined {
  if (process.env.GO) return isExecutable(process.env.GO) ? process.env.GO : undefined;
  for (const dir of [...(process.env.PATH ?? "").split(path.delimiter), "/usr/local/go/bin"]) {
    const candidate = path.join(dir, "go");
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function versionOf(bin: string): Promise<string> {
  const { stdout } = await run(bin, ["version"], { env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
  return stdout.trim();
}

/** The newest cached build at or below `ceiling` (`v3.X.Y`). */
function cachedBuild(ceiling: string): string | undefined {
  let dirs: string[];
  try {
    dirs = readdirSync(cacheRoot());
  } catch {
    return undefined;
  }
  const usable = dirs
    .filter((d) => /^v\d+\.\d+\.\d+$/.test(d) && compareVersions(d, ceiling) <= 0)
    .filter((d) => isExecutable(path.join(cacheRoot(), d, "bin", "pulumi")))
    .sort(compareVersions);
  const newest = usable.at(-1);
  return newest ? path.join(cacheRoot(), newest, "bin", "pulumi") : undefined;
}

export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.replace(/^v/, "").split(".").map(Number);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/**
 * Builds the CLI at the newest version the module proxy serves at or below the SDK's, into
 * `<cache>/<version>/bin`, with the launcher the engine starts for Node.js dynamic providers.
 * Returns the binary's path.
 */
async function buildPulumi(go: string, log: (line: string) => void): Promise<string> {
  const started = Date.now();
  const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;
  const env = { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod" };
  const goJson = async <T>(args: string[]): Promise<T> => JSON.parse((await run(go, args, { env, maxBuffer: 16 << 20 })).stdout) as T;

  const ceiling = sdkVersion();
  log(`Building the Pulumi CLI from its Go modules (no CLI found in PULUMI_CLI, on PATH or in ${cacheRoot()})`);
  const listed = await goJson<{ Versions?: string[] }>(["list", "-m", "-json", "-versions", CLI_MODULE]);
  const version = (listed.Versions ?? [])
    .filter((v) => /^v\d+\.\d+\.\d+$/.test(v) && compareVersions(v, ceiling) <= 0)
    .sort(compareVersions)
    .at(-1);
  if (!version) throw new Error(`The Go module proxy serves no ${CLI_MODULE} at or below ${ceiling} (@pulumi/pulumi's version)`);
  log(`  ${CLI_MODULE}@${version}: the newest the module proxy serves at or below @pulumi/pulumi ${ceiling}`);

  log(`  downloading ${CLI_MODULE}@${version} (${elapsed()})`);
  const source = await goJson<{ Dir?: string; Error?: string }>(["mod", "download", "-json", `${CLI_MODULE}@${version}`]);
  if (!source.Dir) throw new Error(`go mod download ${CLI_MODULE}@${version} failed: ${source.Error ?? "no directory"}`);

  const target = path.join(cacheRoot(), version);
  const work = path.join(cacheRoot(), `.build-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  try {
    // A writable copy whose `sdk/v3 => ../sdk` replace is dropped: the go.mod already requires
    // sdk/v3 at the same version, which the proxy serves.
    cpSync(source.Dir, path.join(work, "pkg"), { recursive: true });
    makeWritable(path.join(work, "pkg"));
    await run(go, ["mod", "edit", `-dropreplace=${SDK_MODULE}`], { cwd: path.join(work, "pkg"), env });

    log(`  compiling ./cmd/pulumi (downloads its dependencies first; several minutes on 2 cores) (${elapsed()})`);
    const bin = path.join(work, "bin");
    await goWithProgress(
      go,
      ["build", "-trimpath", "-ldflags", `-s -w -X ${VERSION_FLAG}=${version}`, "-o", path.join(bin, "pulumi"), "./cmd/pulumi"],
      { cwd: path.join(work, "pkg"), env },
      (line) => log(`  ${line} (${elapsed()})`),
    );
    writeLauncher(bin);
    await languageHostNote(go, env, version, bin, (line) => log(`  ${line}`));
    rmSync(target, { recursive: true, force: true });
    mkdirSync(cacheRoot(), { recursive: true });
    mkdirSync(target, { recursive: true });
    renameSync(bin, path.join(target, "bin"));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  log(`Pulumi CLI ${version} built in ${elapsed()}: ${path.join(target, "bin", "pulumi")}`);
  return path.join(target, "bin", "pulumi");
}

/**
 * The launcher the engine starts as the plugin `pulumi-resource-pulumi-nodejs` (found beside the
 * CLI): runs Pulumi's dynamic-provider host of the program's own `@pulumi/pulumi`, with the
 * engine's arguments, as the launcher in the CLI's release archive does.
 */
export function writeLauncher(binDir: string): void {
  const file = path.join(binDir, "pulumi-resource-pulumi-nodejs");
  writeFileSync(file, '#!/bin/sh\nexec node "$(node -e "console.log(require.resolve(\'@pulumi/pulumi/cmd/dynamic-provider\'))")" "$@"\n', {
    mode: 0o755,
  });
}

/**
 * The Node.js language host (`pulumi-language-nodejs`) is a module of its own with no tags; the
 * module proxy reachable here refuses it (403), so it cannot be built. The reason is written
 * beside the CLI; programs then run through Pulumi's own Node.js language runtime server (the
 * Automation API's), which the CLI reaches with `--client` (see run.ts).
 */
async function languageHostNote(
  go: string,
  env: NodeJS.ProcessEnv,
  version: string,
  bin: string,
  log: (line: string) => void,
): Promise<void> {
  try {
    await run(go, ["list", "-m", "-json", "-versions", LANGUAGE_HOST_MODULE], { env });
    log(`${LANGUAGE_HOST_MODULE} is listed by the module proxy: build it at the commit of v${version.slice(1)} by hand`);
  } catch (error) {
    const lines = String((error as { stderr?: string }).stderr ?? error)
      .trim()
      .split("\n");
    const why = (lines.find((l) => l.startsWith("go: ")) ?? lines[0] ?? "").trim();
    writeFileSync(path.join(bin, "LANGUAGE-HOST.txt"), `go list -m -json -versions ${LANGUAGE_HOST_MODULE}\n${why}\n`);
    log(`pulumi-language-nodejs cannot be built here (${why}); programs run through Pulumi's language runtime server (--client)`);
  }
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(full);
    else chmodSync(full, 0o644);
  }
}

/** Runs a go command, printing a line every 15 s while it lasts (go build is silent for minutes). */
function goWithProgress(
  go: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
  log: (line: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(go, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let downloads = 0;
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      const text = d.toString();
      downloads += (text.match(/^go: downloading /gm) ?? []).length;
      stderr += text;
    });
    const timer = setInterval(() => log(downloads > 0 ? `still building (${downloads} modules downloaded)` : "still building"), 15_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(timer);
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `go ${args.join(" ")} failed (exit ${code}):\n${stderr
              .split("\n")
              .filter((l) => !l.startsWith("go: downloading"))
              .join("\n")}`,
          ),
        );
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  setupPulumi((line) => console.log(line))
    .then((cli) => {
      console.log(`Pulumi CLI: ${cli.bin} (${cli.version}, from ${cli.source})`);
      if (!existsSync(path.join(path.dirname(cli.bin), "pulumi-resource-pulumi-nodejs")) && cli.source !== "PATH")
        console.log(
          "note: no pulumi-resource-pulumi-nodejs beside it: dynamic providers need it (see scripts/pulumi/cli.ts writeLauncher)",
        );
    })
    .catch((error: Error) => {
      console.error(error.message);
      process.exit(1);
    });
}
