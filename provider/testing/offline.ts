import { existsSync, statSync } from "node:fs";
import { constants as osConstants } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { GameServersClient, NotFoundError } from "../../sdk/index.js";
import { UNRESOLVED_ID_PREFIX } from "../../sdk/internal/index.js";
import { stopWatching } from "../fleet/addresses.js";
import { unpackAll } from "../fleet/pack.js";
import { Limiter } from "../shared/limiter.js";
import { HostError, ProviderHost } from "./provider-host.js";

/** Prefix of every dynamic resource's type token; ours are forwarded to the provider host. */
const DYNAMIC_PREFIX = "pulumi-nodejs:dynamic/";
/** What GameServer and FleetServers declare as `additionalSecretOutputs`; mocks do not apply it, the engine does. */
const SECRET_OUTPUTS = ["rconPassword", "serverPassword", "passwords"];
/** The signals a live run answers (see {@link OfflineOptions.handleSignals}). */
const SIGNALS = ["SIGINT", "SIGTERM"] as const;
/** How far the API's `createdAt` may be behind our clock when the sweep matches an interrupted create's server. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** Each run imports the program afresh (ES modules are cached by URL). */
let runs = 0;
// biome-ignore lint/suspicious/noExplicitAny: @pulumi/pulumi's rpc helpers are untyped internals
const rpc: any = require("@pulumi/pulumi/runtime/rpc");
// The drain Pulumi's own program runner awaits before it exits (internal, hence untyped).
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
// Which config keys hold secrets (internal: the language host's own bookkeeping).
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };
// Pulumi's runtime settings store (internal): where the language host's options live.
const pulumiState = require("@pulumi/pulumi/runtime/state") as {
  getStore(): { settings: { options: { cacheDynamicProviders?: boolean } } };
};

/** Options of {@link runOffline}. */
export interface OfflineOptions {
  /**
   * The Pulumi program: a path to its entry file or directory (as Pulumi.yaml's `main` names
   * it), or a function that declares the resources and returns the stack outputs.
   */
  program: string | (() => unknown);
  /** The project directory: where the provider host starts. @default the program's directory, else process.cwd() */
  cwd?: string;
  /** The API the resources are created on, normally an emulator's `url`. */
  apiUrl: string;
  apiKey: string;
  /** Console and log API URL. @default apiUrl */
  consoleApiUrl?: string;
  /** Stack config, e.g. `{ "tournament:file": "..." }`. Keys without a namespace get the project's. */
  config?: Record<string, string>;
  /** Config keys to treat as secrets. */
  secretKeys?: string[];
  /** @default "offline" */
  project?: string;
  /** @default "test" */
  stack?: string;
  /**
   * Poll interval of the provider's waits, in ms (`gameservers:pollIntervalMs`); `null` leaves it
   * unset, so the provider's own default applies, as under `pulumi up` without that config. @default 200
   */
  pollIntervalMs?: number | null;
  /** Receives every progress line the provider prints. @default none */
  log?: (line: string) => void;
  /**
   * At most this many resource operations (check then create, or a lookup's read) in flight at
   * once, as the engine's `--parallel` (whose default is 4 x the CPUs: 8 on a 2-core runner).
   * Operations wait for a slot in the order the program declared them. @default unbounded
   */
  parallel?: number;
  /**
   * Deadline of the whole run (program, creates, outputs), in seconds: past it the run fails, after
   * deleting what it created (servers whose create was still in flight included). @default none
   */
  timeoutSeconds?: number;
  /** Aborting it interrupts the run the same way as `timeoutSeconds`. */
  signal?: AbortSignal;
  /**
   * While the run is live (from the call until `destroy()`), SIGINT and SIGTERM delete what the
   * run created (servers whose create was still in flight included), stop the provider host and
   * exit the process with 130 or 143. A second signal exits at once. `false` leaves the signals to
   * you (use `signal` to interrupt the run). @default true
   */
  handleSignals?: boolean;
  /** Called as each resource moves through the run, with the time (epoch ms); for measurements and progress. */
  onResource?: (event: OfflineResourceEvent) => void;
}

/** One step of one resource in a run (see {@link OfflineOptions.onResource}). */
export interface OfflineResourceEvent {
  /**
   * `registered`: the program declared it; `started`: its operation got a slot (check begins);
   * `created` / `read`: the provider returned; `failed`: the operation failed. Components and
   * other non-dynamic resources only get `registered`.
   */
  kind: "registered" | "started" | "created" | "read" | "failed";
  type: string;
  name: string;
  /** The API's id, once known. */
  id?: string;
  error?: Error;
  /** When it happened, epoch ms. */
  at: number;
}

/** One resource the program declared. */
export interface OfflineResource {
  type: string;
  name: string;
  /** The API's id for our servers; undefined for components. */
  id: string | undefined;
  /** Inputs as the program declared them (secrets unwrapped). */
  inputs: Record<string, unknown>;
  /** Outputs after create (for our servers: from the provider, the API's real values). */
  outputs: Record<string, unknown>;
  /** A read-only lookup (`GameServer.get`): read, never created, never deleted. */
  lookup: boolean;
}

/** What a program did, offline. */
export interface OfflineRun {
  /** The stack outputs, with secret values in plain text (see `secretOutputs`). */
  outputs: Record<string, unknown>;
  /** Dotted paths of the outputs that are secrets, e.g. `roster.final-1.serverPassword`. */
  secretOutputs: string[];
  resources: OfflineResource[];
  /** Process id of the run's provider host (Pulumi's dynamic-provider host); it exits on `destroy()`. */
  hostPid: number | undefined;
  /**
   * Deletes every server the program created (newest first; lookups are left alone) and stops the
   * provider host. Throws, after trying every one, if some could not be deleted.
   */
  destroy(): Promise<void>;
}

/**
 * Runs a Pulumi program's resources of this package for real, without the Pulumi CLI or an
 * account: Pulumi's mocks forward every dynamic resource to Pulumi's own dynamic-provider host,
 * which runs the GameServer provider against `apiUrl` (an emulator). Check and create are the
 * engine's calls; there is no state, no diff and no update: it is not an engine. Components and
 * other resources are recorded with their inputs as outputs.
 *
 * Nothing is left behind: a run that fails (a server that cannot be allocated, a server still not
 * ready at its `readyTimeoutSeconds`, `timeoutSeconds`, `signal`) deletes what it created before
 * it rejects, and so do SIGINT and SIGTERM (see `handleSignals`). The provider host never keeps
 * the process alive and dies with it; a script that exits without calling `destroy()` gets it
 * called when Node is about to exit (`beforeExit`), with a warning on stderr.
 *
 * One run at a time per process (Pulumi's mocks are process-wide); runs one after another are fine.
 * @throws before anything starts when the program or the project directory does not exist.
 */
export async function runOffline(options: OfflineOptions): Promise<OfflineRun> {
  const programPath = typeof options.program === "string" ? path.resolve(options.program) : undefined;
  if (typeof options.program === "string") entryOf(options.program, programPath!);
  const cwd = options.cwd ?? (programPath ? projectDirOf(programPath) : process.cwd());
  if (!existsSync(cwd) || !statSync(cwd).isDirectory()) {
    throw new Error(
      `runOffline: the project directory ${JSON.stringify(options.cwd ?? cwd)} does not exist (resolved to ${path.resolve(cwd)})`,
    );
  }
  const parallel = options.parallel ?? Number.POSITIVE_INFINITY;
  if (parallel !== Number.POSITIVE_INFINITY && !(Number.isInteger(parallel) && parallel >= 1)) {
    throw new Error(`runOffline: parallel must be a whole number of at least 1, got ${options.parallel}`);
  }
  if (options.timeoutSeconds !== undefined && !(options.timeoutSeconds > 0)) {
    throw new Error(`runOffline: timeoutSeconds must be more than 0, got ${options.timeoutSeconds}`);
  }
  options.signal?.throwIfAborted();

  // The program's config is this run's; the process's own is put back when the run ends.
  const ownConfig = pulumi.runtime.allConfig();
  const ownSecretKeys = Object.keys(ownConfig).filter((k) => isConfigSecret(k));
  // The host starts while the program is built, as the engine starts its provider plugin while
  // the language host runs the program; the first operation waits for it (and for configure).
  const host = ProviderHost.launch(cwd);
  const live = new LiveRun(host, options, new Limiter(parallel));
  const { resources } = live;
  let firstFailure: Error | undefined;
  let failRun: (error: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    failRun = reject;
  });
  failed.catch(() => undefined);
  live.interrupt = (error) => {
    firstFailure ??= error;
    failRun(error);
  };
  track(live);
  const timer =
    options.timeoutSeconds === undefined
      ? undefined
      : setTimeout(
          () => live.interrupt(new Error(`runOffline: the run did not finish within timeoutSeconds (${options.timeoutSeconds} s)`)),
          options.timeoutSeconds * 1000,
        );
  const onAbort = () => live.interrupt(new Error(`runOffline: the run was aborted (${String(options.signal?.reason ?? "signal")})`));
  options.signal?.addEventListener("abort", onAbort, { once: true });
  let pending = 0;
  const emit = (event: Omit<OfflineResourceEvent, "at">) => {
    try {
      options.onResource?.({ ...event, at: Date.now() });
    } catch {
      // An observer's bug must not change the run.
    }
  };

  try {
    // Stack config: the provider and the program both see it, as under `pulumi up`.
    const providerConfig: Record<string, string> = {
      "gameservers:apiKey": options.apiKey,
      "gameservers:apiUrl": options.apiUrl,
      "gameservers:consoleApiUrl": options.consoleApiUrl ?? options.apiUrl,
      ...(options.pollIntervalMs === null ? {} : { "gameservers:pollIntervalMs": String(options.pollIntervalMs ?? 200) }),
    };
    const configured = host.configure(providerConfig);
    configured.catch(() => undefined);
    const project = options.project ?? "offline";
    await pulumi.runtime.setMocks(
      {
        newResource: async (args: pulumi.runtime.MockResourceArgs) => {
          pending++;
          emit({ kind: "registered", type: args.type, name: args.name });
          let slot = false;
          try {
            const secretInputs = Object.keys(args.inputs).filter((k) => rpc.isRpcSecret(args.inputs[k]));
            const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
            if (!args.type.startsWith(DYNAMIC_PREFIX)) {
              resources.push({ type: args.type, name: args.name, id: undefined, inputs, outputs: inputs, lookup: false });
              return { id: args.custom ? `${args.name}_id` : undefined, state: inputs };
            }
            await configured;
            slot = await live.slots.acquire();
            if (!slot || live.stopping) throw new Error("not started: the run was stopping");
            emit({ kind: "started", type: args.type, name: args.name });
            const result = args.id
              ? await host.read(args.name, args.id, undefined, inputs).then((r) => ({ id: r.id, outs: r.props }))
              : await live.checkAndCreate(args.type, args.name, inputs);
            const { __provider: _, ...outputs } = result.outs;
            resources.push({ type: args.type, name: args.name, id: result.id, inputs, outputs, lookup: Boolean(args.id) });
            emit({ kind: args.id ? "read" : "created", type: args.type, name: args.name, id: result.id });
            return { id: result.id, state: markSecrets(result.outs, [...SECRET_OUTPUTS, ...secretInputs]) };
          } catch (error) {
            const wrapped = new Error(`${args.type} "${args.name}": ${(error as Error).message}`, { cause: error });
            emit({ kind: "failed", type: args.type, name: args.name, error: wrapped });
            firstFailure ??= wrapped;
            failRun(wrapped);
            // The run fails with this error. Throwing here instead would reject every output of
            // the resource, unhandled, all over the program.
            return { id: undefined, state: {} };
          } finally {
            if (slot) live.slots.release();
            pending--;
            live.flushLog();
          }
        },
        call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
      },
      project,
      options.stack ?? "test",
      false,
    );
    // As the engine's language host does by default, serialize each dynamic provider once per
    // run, not once per resource (mocks reset that option).
    pulumiState.getStore().settings.options.cacheDynamicProviders = true;
    const config = Object.fromEntries(Object.entries(options.config ?? {}).map(([k, v]) => [k.includes(":") ? k : `${project}:${k}`, v]));
    pulumi.runtime.setAllConfig({ ...config, ...providerConfig }, [
      ...(options.secretKeys ?? []).map((k) => (k.includes(":") ? k : `${project}:${k}`)),
      "gameservers:apiKey",
    ]);

    const exported = await Promise.race([loadProgram(options.program, programPath), failed]);
    await Promise.race([configured, failed]);
    const secretOutputs: string[] = [];
    const outputs = (await Promise.race([resolveDeep(exported, "", secretOutputs), failed])) as Record<string, unknown>;
    // Resources the outputs do not reference may still be registering.
    while (pending > 0) await Promise.race([new Promise((r) => setTimeout(r, 20)), failed]);
    // Components register their outputs after their children: let every RPC reach this run's
    // mocks before another run replaces them.
    await Promise.race([waitForRPCs(), failed]);
    if (firstFailure) throw firstFailure;
    return {
      outputs: outputs ?? {},
      secretOutputs,
      resources,
      hostPid: host.pid,
      destroy: async () => {
        const problems = await live.cleanup();
        if (problems.length > 0) throw new Error(`runOffline: destroy left servers behind:\n  - ${problems.join("\n  - ")}`);
      },
    };
  } catch (error) {
    // Leave nothing behind: delete what was created before the failure, and what was being created.
    const problems = await live.cleanup();
    // Pending registrations now fail fast (the host is gone): let them reach this run's mocks, not the next run's.
    await Promise.race([waitForRPCs(), new Promise((r) => setTimeout(r, 2_000).unref())]);
    if (live.exiting) await new Promise(() => undefined); // a signal's handler exits the process
    const failure = (firstFailure ?? error) as Error;
    if (problems.length > 0) failure.message += `\nCleaning up after the failure left servers behind:\n  - ${problems.join("\n  - ")}`;
    throw failure;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    // The program's own watches of its fleets' servers end with the run, and the process's
    // Pulumi config is its own again (without the API key).
    stopWatching();
    pulumi.runtime.setAllConfig(ownConfig, ownSecretKeys);
  }
}

/** A create the host is working on: enough to find its server if the run is interrupted. */
interface InFlightCreate {
  name: string;
  gameType: unknown;
  region: unknown;
  sentAfter: number;
}

/** The state of a run from its start until it is destroyed: what it made, what it is making, and how to undo both. */
class LiveRun {
  readonly resources: OfflineResource[] = [];
  readonly inFlight = new Set<InFlightCreate>();
  stopping = false;
  /** Set when a signal handler will exit the process once cleanup is done. */
  exiting = false;
  interrupt: (error: Error) => void = () => undefined;
  #flushed = 0;
  #cleanup: Promise<string[]> | undefined;

  constructor(
    readonly host: ProviderHost,
    readonly options: OfflineOptions,
    readonly slots: Limiter,
  ) {}

  /** Hands complete lines of the host's output to `log`, each once. */
  flushLog(): void {
    const end = this.host.output.lastIndexOf("\n") + 1;
    if (end <= this.#flushed) return;
    for (const line of this.host.output.slice(this.#flushed, end).split("\n")) if (line.trim()) this.options.log?.(line);
    this.#flushed = end;
  }

  async checkAndCreate(type: string, name: string, inputs: Record<string, unknown>) {
    const checked = await this.host.check(name, {}, inputs);
    if (checked.failures.length > 0) {
      throw new Error(`invalid inputs: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
    }
    const creating = inFlightCreates(checked.inputs);
    for (const c of creating) this.inFlight.add(c);
    try {
      return await this.host.create(name, checked.inputs);
    } catch (error) {
      if (!(error instanceof HostError && error.initFailure)) throw error;
      // Created but not ready (its readyTimeoutSeconds passed, or its outcome stayed unknown): the
      // engine would keep it in the stack. Offline there is no stack: delete it now, and say so.
      const { id, properties } = error.initFailure;
      const said = withoutStackAdvice(error.message);
      try {
        await this.host.delete(name, id, { ...properties, __provider: properties.__provider ?? checked.inputs.__provider });
      } catch (deleteError) {
        // Left for the run's cleanup to try again.
        this.resources.push({ type, name, id, inputs, outputs: properties, lookup: false });
        throw new Error(
          `${said} Offline there is no stack to keep it in, and deleting it (${id}) failed: ${(deleteError as Error).message}`,
        );
      }
      throw new Error(
        id.startsWith(UNRESOLVED_ID_PREFIX)
          ? `${said} Offline there is no stack to keep it in: the run looked for the server that create may have made, and deleted it if it existed.`
          : `${said} Offline there is no stack to keep it in: the run deleted it (${id}).`,
      );
    } finally {
      for (const c of creating) this.inFlight.delete(c);
    }
  }

  /**
   * Deletes what the run created (through the provider), stops the host, then removes through the
   * API what the provider could not: servers recorded meanwhile or whose delete failed (by id),
   * and servers of creates that were still in flight, whose id the run never got (by the name
   * check() gave them, created after the create was sent). Runs once; returns what is left.
   */
  cleanup(): Promise<string[]> {
    this.#cleanup ??= this.#doCleanup();
    return this.#cleanup;
  }

  async #doCleanup(): Promise<string[]> {
    this.stopping = true;
    this.slots.close();
    const deletable = (r: OfflineResource) => r.type.startsWith(DYNAMIC_PREFIX) && Boolean(r.id) && !r.lookup;
    const done = new Set<OfflineResource>();
    const problems: string[] = [];
    try {
      for (const r of [...this.resources].reverse()) {
        if (!deletable(r)) continue;
        try {
          await this.host.delete(r.name, r.id!, { ...r.outputs, __provider: r.outputs.__provider ?? r.inputs.__provider });
          done.add(r);
        } catch {
          // Tried again through the API below.
        }
      }
      this.flushLog();
      // Stop the host before looking for the rest: it sends no further POST after this.
      const interrupted = [...this.inFlight];
      await this.host.stop();
      this.flushLog();
      const leftovers = this.resources.filter((r) => deletable(r) && !done.has(r));
      if (leftovers.length > 0 || interrupted.length > 0) problems.push(...(await this.#deleteThroughApi(leftovers, interrupted)));
    } finally {
      if (!this.host.exited) await this.host.stop(true);
      untrack(this);
    }
    return problems;
  }

  async #deleteThroughApi(leftovers: OfflineResource[], interrupted: InFlightCreate[]): Promise<string[]> {
    const problems: string[] = [];
    const client = new GameServersClient({ apiKey: this.options.apiKey, baseUrl: this.options.apiUrl, maxRetries: 5 });
    const remove = async (id: string, name: string, why: string) => {
      try {
        await client.gameServers.delete(id);
        this.options.log?.(`[runOffline] deleted ${name} (${id}): ${why}`);
      } catch (error) {
        if (!(error instanceof NotFoundError)) problems.push(`${name} (${id}), ${why}: ${(error as Error).message}`);
      }
    };
    try {
      for (const r of leftovers) {
        if (r.id!.startsWith(UNRESOLVED_ID_PREFIX))
          problems.push(`${r.name}: its create's outcome stayed unknown, and the provider could not remove it`);
        else await remove(r.id!, r.name, "the provider's delete had failed or the create returned during cleanup");
      }
      if (interrupted.length === 0) return problems;
      const matches: { id: string; name: string }[] = [];
      try {
        for await (const page of client.gameServers.list({ pageSize: 100 }).pages()) {
          for (const server of page.items) {
            const made = interrupted.some(
              (c) =>
                c.name === server.name &&
                c.gameType === server.gameType &&
                c.region === server.region &&
                Date.parse(server.createdAt) >= c.sentAfter - CLOCK_SKEW_MS,
            );
            if (made && server.deletedAt === null) matches.push(server);
          }
        }
      } catch (error) {
        const names = interrupted.map((c) => c.name).join(", ");
        problems.push(
          `the servers of ${interrupted.length} interrupted create(s) (${names}) could not be looked up: ${(error as Error).message}`,
        );
      }
      for (const server of matches) await remove(server.id, server.name, "its create was interrupted");
    } finally {
      await client.close();
    }
    return problems;
  }
}

/** The servers a create may make: a GameServer's one, or each of a fleet's (FleetServers). */
function inFlightCreates(inputs: Record<string, unknown>): InFlightCreate[] {
  const sentAfter = Date.now();
  const one = (s: Record<string, unknown>) =>
    typeof s.name === "string" ? [{ name: s.name, gameType: s.gameType, region: s.region, sentAfter }] : [];
  if (typeof inputs.fleet === "string")
    return Object.values(unpackAll(inputs.common, inputs.servers)).flatMap((s) => (s && typeof s === "object" ? one(s) : []));
  return one(inputs);
}

// ---- runs that are live: signals and exit ------------------------------------------------

const liveRuns = new Set<LiveRun>();
let signalled = false;

/** Listens for the signals while some live run handles them, and for `beforeExit` while any run is live. */
function track(run: LiveRun): void {
  liveRuns.add(run);
  listen();
}

function untrack(run: LiveRun): void {
  liveRuns.delete(run);
  listen();
}

function listen(): void {
  const signals = [...liveRuns].some((r) => r.options.handleSignals !== false);
  for (const signal of SIGNALS) {
    process.off(signal, onSignal);
    if (signals) process.on(signal, onSignal);
  }
  process.off("beforeExit", onBeforeExit);
  if (liveRuns.size > 0) process.on("beforeExit", onBeforeExit);
}

function onSignal(signal: NodeJS.Signals): void {
  const code = 128 + (osConstants.signals[signal] ?? 1);
  const runs = [...liveRuns].filter((r) => r.options.handleSignals !== false);
  if (runs.length === 0) return;
  if (signalled) {
    // A second signal: stop waiting for the cleanup.
    for (const r of liveRuns) if (r.host.pid !== undefined && !r.host.exited) process.kill(r.host.pid, "SIGKILL");
    process.exit(code);
  }
  signalled = true;
  process.stderr.write(`runOffline: ${signal}: deleting what the run created, then exiting (${signal} again exits at once)\n`);
  for (const r of runs) {
    r.exiting = true;
    r.interrupt(new Error(`runOffline: interrupted by ${signal}`));
  }
  void Promise.all(runs.map((r) => r.cleanup())).then((all) => {
    const problems = all.flat();
    if (problems.length > 0) process.stderr.write(`runOffline: left behind:\n  - ${problems.join("\n  - ")}\n`);
    process.exit(code);
  });
}

function onBeforeExit(): void {
  const runs = [...liveRuns];
  process.stderr.write(
    `runOffline: the process is exiting with ${runs.length} run(s) never destroyed: destroying them (call run.destroy() yourself)\n`,
  );
  for (const r of runs) {
    r.interrupt(new Error("runOffline: the process was about to exit before the run finished"));
    void r.cleanup().then((problems) => {
      if (problems.length > 0) process.stderr.write(`runOffline: left behind:\n  - ${problems.join("\n  - ")}\n`);
    });
  }
}

// ---- helpers -------------------------------------------------------------------------------

/** The provider's message without its advice about the stack and `pulumi up`: offline there is neither. */
function withoutStackAdvice(message: string): string {
  const sentences = message.split(/(?<=\.)\s+(?=[A-Z])/);
  const kept = sentences.filter((s) => !/\bstack\b|`pulumi /.test(s));
  return (kept.length > 0 ? kept : sentences.slice(0, 1)).join(" ");
}

/** The directory holding the program's Pulumi.yaml, or the program's own directory. */
function projectDirOf(programPath: string): string {
  const dir = existsSync(programPath) && statSync(programPath).isDirectory() ? programPath : path.dirname(programPath);
  for (let d = dir; path.dirname(d) !== d; d = path.dirname(d)) {
    if (existsSync(path.join(d, "Pulumi.yaml"))) return d;
  }
  return dir;
}

/** The file to import for a program given as a path; throws, naming the path, when there is none. */
function entryOf(given: string, programPath: string): string {
  if (!existsSync(programPath)) {
    throw new Error(`runOffline: the program ${JSON.stringify(given)} does not exist (resolved to ${programPath})`);
  }
  if (!statSync(programPath).isDirectory()) return programPath;
  const index = ["index.ts", "index.js", "index.mts", "index.mjs"].find((f) => existsSync(path.join(programPath, f)));
  if (!index) throw new Error(`runOffline: the program directory ${programPath} has no index.ts, index.js, index.mts or index.mjs`);
  return path.join(programPath, index);
}

async function loadProgram(program: OfflineOptions["program"], programPath: string | undefined): Promise<unknown> {
  if (typeof program === "function") return program();
  const entry = entryOf(program, programPath!);
  // A real import() (module: nodenext keeps it in CommonJS output), so ESM programs load too.
  const mod = (await import(`${pathToFileURL(entry).href}?offline-run=${++runs}`)) as Record<string, unknown>;
  const exported = "default" in mod && Object.keys(mod).length === 1 ? mod.default : mod;
  return typeof exported === "function" ? await (exported as () => unknown)() : exported;
}

/** Resolves Outputs anywhere inside `value`, recording the paths of secret ones. */
async function resolveDeep(value: unknown, at: string, secrets: string[]): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    const [inner, secret] = await Promise.all([
      new Promise<unknown>((resolve) => (value as pulumi.Output<unknown>).apply((v) => resolve(v))),
      pulumi.isSecret(value as pulumi.Output<unknown>),
    ]);
    if (secret) secrets.push(at);
    return resolveDeep(inner, at, secrets);
  }
  if (value instanceof Promise) return resolveDeep(await value, at, secrets);
  if (pulumi.Resource.isInstance(value)) return resolveDeep((value as pulumi.Resource).urn, at, secrets);
  if (Array.isArray(value)) return Promise.all(value.map((v, i) => resolveDeep(v, `${at}[${i}]`, secrets)));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await resolveDeep(v, at ? `${at}.${k}` : k, secrets);
    return out;
  }
  return value;
}

/** As the engine does: outputs named in additionalSecretOutputs, or echoing a secret input, are secrets. */
function markSecrets(state: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...state };
  for (const key of keys) if (out[key] !== undefined && out[key] !== null) out[key] = pulumi.secret(out[key]);
  return out;
}

function unwrapSecrets(value: unknown): unknown {
  if (rpc.isRpcSecret(value)) return unwrapSecrets(rpc.unwrapRpcSecret(value));
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  return value;
}
