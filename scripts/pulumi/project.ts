/**
 * Real `pulumi` commands on a Pulumi project, offline: a throwaway `PULUMI_HOME`, a file state
 * backend and a passphrase secrets provider in a folder of their own, no update check, no plugin
 * download. Programs run through `program-host.ts` (the CLI's `--client`); everything else is
 * the real CLI's. Used by the real-engine tests, the demo and the benchmark.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import type { PulumiCli } from "./cli.ts";

const PROGRAM_HOST = path.join(import.meta.dirname, "program-host.ts");

/** Commands that run the program: they get `--client` (and `up`/`refresh`/`destroy` --skip-preview). */
const PROGRAM_COMMANDS = new Set(["up", "update", "preview", "pre", "refresh", "destroy"]);

export interface CommandResult {
  /** Exit code; null when a signal ended the CLI. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** What the program itself printed (its process is the program host's, not the CLI's). */
  program: string;
}

export interface CommandOptions {
  /** Extra environment for the CLI and the program. */
  env?: Record<string, string>;
  /** Called with the CLI's process once it runs (to signal it). */
  onSpawn?: (cli: ChildProcess) => void;
  /** Called with each chunk the CLI prints (stdout and stderr). */
  onOutput?: (text: string) => void;
  /** Standard input for the CLI. */
  input?: string;
}

export interface ProjectOptions {
  /** Folder for the state backend and PULUMI_HOME. @default a new temporary folder */
  root?: string;
  /** The passphrase of the stacks' secrets. @default "pulumi-gameservers-tests" */
  passphrase?: string;
  /**
   * The Node.js that runs the program and the dynamic-provider host (first on PATH, as `npx`
   * puts a project's own `node_modules/.bin/node`). @default this process's
   */
  node?: string;
  /** PATH after the CLI's and the Node.js's folders. @default this process's PATH */
  path?: string;
}

/** A Pulumi project directory driven by a real CLI against its own file backend. */
export class PulumiProject {
  readonly cli: PulumiCli;
  /** The Pulumi project's directory (its Pulumi.yaml). */
  readonly dir: string;
  readonly root: string;
  readonly #passphrase: string;
  readonly #node: string;
  readonly #path: string | undefined;
  readonly #children = new Set<ChildProcess>();

  constructor(cli: PulumiCli, dir: string, options: ProjectOptions = {}) {
    this.cli = cli;
    this.dir = dir;
    this.root = options.root ?? mkdtempSync(path.join(os.tmpdir(), "gameservers-pulumi-"));
    this.#passphrase = options.passphrase ?? "pulumi-gameservers-tests";
    this.#node = options.node ?? process.execPath;
    this.#path = options.path ?? process.env.PATH;
    mkdirSync(path.join(this.root, "home"), { recursive: true });
    mkdirSync(path.join(this.root, "state"), { recursive: true });
  }

  /** The environment every command runs in. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const cliDir = path.dirname(this.cli.bin);
    // The stacks' config is the only source of settings: a GAMESERVERS_* variable of the shell
    // (an API key, a journal directory) would silently win over a missing config key.
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith("GAMESERVERS_") && !k.startsWith("PULUMI_")),
    );
    return {
      ...inherited,
      // The engine starts the dynamic-provider host with the `node` on PATH: this one.
      PATH: [cliDir, path.dirname(this.#node), this.#path].filter(Boolean).join(path.delimiter),
      PULUMI_HOME: path.join(this.root, "home"),
      PULUMI_BACKEND_URL: `file://${path.join(this.root, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: this.#passphrase,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      // Node.js 26 warns that FFI is experimental when Pulumi's closure serializer lists the
      // built-in modules; nothing of ours uses FFI.
      NODE_OPTIONS: [process.env.NODE_OPTIONS, "--disable-warning=ExperimentalWarning"].filter(Boolean).join(" "),
      ...extra,
    };
  }

  /** `pulumi <args>` in the project directory. Never rejects for a non-zero exit: see `code`. */
  async run(args: string[], options: CommandOptions = {}): Promise<CommandResult> {
    const command = args[0] ?? "";
    const env = this.env(options.env);
    let host: ChildProcess | undefined;
    let program = "";
    // Flags go before a `--` that ends them (a config value may start with a dash).
    const end = args.indexOf("--");
    const [head, tail] = end === -1 ? [args, []] : [args.slice(0, end), args.slice(end)];
    const full = [...head, "--non-interactive", "--color", "never"];
    if (PROGRAM_COMMANDS.has(command)) {
      host = spawn(this.#node, [PROGRAM_HOST], { cwd: this.dir, env, stdio: ["pipe", "pipe", "pipe"] });
      this.#children.add(host);
      full.push(`--client=${await addressOf(host)}`);
      host.stdout!.on("data", (d: Buffer) => (program += d));
      host.stderr!.on("data", (d: Buffer) => (program += d));
      if (command !== "preview" && command !== "pre") full.push("--skip-preview");
    }
    full.push(...tail);
    try {
      return await new Promise<CommandResult>((resolve, reject) => {
        // Its own process group: a test can end it with every plugin it started.
        const child = spawn(this.cli.bin, full, { cwd: this.dir, env, stdio: ["pipe", "pipe", "pipe"], detached: true });
        this.#children.add(child);
        let stdout = "";
        let stderr = "";
        child.stdout!.on("data", (d: Buffer) => {
          stdout += d;
          options.onOutput?.(d.toString());
        });
        child.stderr!.on("data", (d: Buffer) => {
          stderr += d;
          options.onOutput?.(d.toString());
        });
        child.stdin!.end(options.input ?? "");
        child.on("error", reject);
        child.on("close", (code, signal) => {
          this.#children.delete(child);
          resolve({ code, signal, stdout, stderr, program });
        });
        options.onSpawn?.(child);
      });
    } finally {
      if (host) {
        this.#children.delete(host);
        host.stdin!.end();
        host.kill();
      }
    }
  }

  /** Like {@link run}, but throws with the CLI's output when it exits non-zero. */
  async ok(args: string[], options: CommandOptions = {}): Promise<CommandResult> {
    const result = await this.run(args, options);
    if (result.code !== 0) {
      throw new Error(`pulumi ${args.join(" ")} exited ${result.code ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
    }
    return result;
  }

  /** `pulumi stack init` with the passphrase secrets provider. */
  async initStack(stack: string): Promise<void> {
    await this.ok(["stack", "init", stack, "--secrets-provider", "passphrase"]);
  }

  /** `pulumi config set` (`--secret` when asked) for a stack. */
  async config(stack: string, key: string, value: string, secret = false): Promise<void> {
    await this.ok(["config", "set", key, "--stack", stack, ...(secret ? ["--secret"] : []), "--", value]);
  }

  /** Several keys in one `pulumi config set-all`. */
  async configAll(stack: string, plain: Record<string, string>, secrets: Record<string, string> = {}): Promise<void> {
    const pairs = [
      ...Object.entries(plain).flatMap(([k, v]) => ["--plaintext", `${k}=${v}`]),
      ...Object.entries(secrets).flatMap(([k, v]) => ["--secret", `${k}=${v}`]),
    ];
    await this.ok(["config", "set-all", "--stack", stack, ...pairs]);
  }

  /** `pulumi stack export` (secrets encrypted, as stored) of a stack. */
  async exportState(stack: string): Promise<StackExport> {
    return JSON.parse((await this.ok(["stack", "export", "--stack", stack])).stdout) as StackExport;
  }

  /** The stack's checkpoint file as the file backend holds it, raw. */
  stateFile(project: string, stack: string): string {
    return readFileSync(path.join(this.root, "state", ".pulumi", "stacks", project, `${stack}.json`), "utf8");
  }

  /**
   * Processes working in the project's directory: the CLI, the program host and the plugins the
   * CLI started. The engine starts each plugin in a process group of its own, so a provider host
   * outlives a CLI killed outright (and goes on with the operation it was given).
   */
  processes(): { pid: number; command: string }[] {
    const dir = realpathSync(this.dir);
    const found: { pid: number; command: string }[] = [];
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      try {
        const cwd = readlinkSync(`/proc/${entry}/cwd`);
        if (cwd !== dir && !cwd.startsWith(`${dir}${path.sep}`)) continue;
        found.push({ pid: Number(entry), command: readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim() });
      } catch {
        // gone, or not ours to read
      }
    }
    return found;
  }

  /** Kills every process working in the project's directory (see {@link processes}). */
  killAll(signal: NodeJS.Signals = "SIGKILL"): void {
    for (const { pid } of this.processes()) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }

  /**
   * Removes the empty `.attrs` files the file backend leaves when the CLI is killed while it
   * writes a state file: gocloud's file blobs rewrite `<file>.attrs` in place (truncated first)
   * before renaming the new file into place, and an empty one makes the stack unreadable
   * ("failed to load checkpoint: EOF"); a missing one is read as no attributes. What a user
   * does after such a kill, as docs/reliability.md says. Returns the files removed.
   */
  repairFileBackend(): string[] {
    const removed: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith(".attrs") && statSync(full).size === 0) {
          rmSync(full);
          removed.push(full);
        }
      }
    };
    walk(path.join(this.root, "state"));
    return removed;
  }

  /** Stops every process this project started and removes its backend and home. */
  async dispose(): Promise<void> {
    for (const child of this.#children) child.kill("SIGKILL");
    this.killAll();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * A copy of the project folder `source` in a new temporary folder, with `nodeModules` linked in
 * as its node_modules (a repository's: the program and the provider host then resolve packages
 * exactly as in that repository), and `files` written over it. Nothing the CLI writes (stack
 * config files, the create journal) lands in `source`. Returns the copy's directory.
 */
export function copyProject(source: string, nodeModules: string, files: Record<string, string> = {}): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), "gameservers-project-")), path.basename(source));
  cpSync(source, dir, { recursive: true, filter: (f) => path.basename(f) !== "node_modules" });
  symlinkSync(nodeModules, path.join(dir, "node_modules"), "dir");
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

/** The address the program host prints once it listens. */
function addressOf(host: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const onErr = (d: Buffer) => (err += d);
    const onExit = (code: number | null) => reject(new Error(`the program host exited (${code}) before it listened: ${err}`));
    const onData = (d: Buffer) => {
      out += d;
      const line = /^(127\.0\.0\.1:\d+)\n/m.exec(out);
      if (!line) return;
      host.stdout!.off("data", onData);
      host.stderr!.off("data", onErr);
      host.off("exit", onExit);
      resolve(line[1]!);
    };
    host.stdout!.on("data", onData);
    host.stderr!.on("data", onErr);
    host.on("exit", onExit);
  });
}

/** What `pulumi stack export` prints (the parts the tests read). */
export interface StackExport {
  version: number;
  deployment: {
    resources?: StateResource[];
    pending_operations?: { type: string; resource: StateResource }[];
  };
}

export interface StateResource {
  urn: string;
  type: string;
  id?: string;
  custom: boolean;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  initErrors?: string[];
  delete?: boolean;
}
