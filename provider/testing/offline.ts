import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { HostError, ProviderHost } from "./provider-host.js";

/** Prefix of every dynamic resource's type token; ours are forwarded to the provider host. */
const DYNAMIC_PREFIX = "pulumi-nodejs:dynamic/";
/** What GameServer declares as `additionalSecretOutputs`; mocks do not apply it, the engine does. */
const SECRET_OUTPUTS = ["rconPassword", "serverPassword"];
/** Each run imports the program afresh (ES modules are cached by URL). */
let runs = 0;
// biome-ignore lint/suspicious/noExplicitAny: @pulumi/pulumi's rpc helpers are untyped internals
const rpc: any = require("@pulumi/pulumi/runtime/rpc");
// The drain Pulumi's own program runner awaits before it exits (internal, hence untyped).
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

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
  /** Poll interval of the provider's waits, in ms. @default 200 */
  pollIntervalMs?: number;
  /** Receives every progress line the provider prints. @default none */
  log?: (line: string) => void;
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
  /** Deletes every server the program created (newest first; lookups are left alone) and stops the provider host. */
  destroy(): Promise<void>;
}

/**
 * Runs a Pulumi program's resources of this package for real, without the Pulumi CLI or an
 * account: Pulumi's mocks forward every dynamic resource to Pulumi's own dynamic-provider host,
 * which runs the GameServer provider against `apiUrl` (an emulator). Check and create are the
 * engine's calls; there is no state, no diff and no update: it is not an engine. Components and
 * other resources are recorded with their inputs as outputs.
 *
 * One run at a time per process (Pulumi's mocks are process-wide); runs one after another are fine.
 */
export async function runOffline(options: OfflineOptions): Promise<OfflineRun> {
  const programPath = typeof options.program === "string" ? path.resolve(options.program) : undefined;
  const cwd = options.cwd ?? (programPath ? projectDirOf(programPath) : process.cwd());
  const host = await ProviderHost.start(cwd);
  const resources: OfflineResource[] = [];
  let firstFailure: Error | undefined;
  let failRun: (error: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    failRun = reject;
  });
  failed.catch(() => undefined);
  let pending = 0;
  let flushed = 0;
  // Hands complete lines of the host's output to `log`, each once.
  const flushLog = () => {
    const end = host.output.lastIndexOf("\n") + 1;
    if (end <= flushed) return;
    for (const line of host.output.slice(flushed, end).split("\n")) if (line.trim()) options.log?.(line);
    flushed = end;
  };

  try {
    await host.configure({
      "gameservers:apiKey": options.apiKey,
      "gameservers:apiUrl": options.apiUrl,
      "gameservers:consoleApiUrl": options.consoleApiUrl ?? options.apiUrl,
      "gameservers:pollIntervalMs": String(options.pollIntervalMs ?? 200),
    });
    const project = options.project ?? "offline";
    await pulumi.runtime.setMocks(
      {
        newResource: async (args: pulumi.runtime.MockResourceArgs) => {
          pending++;
          try {
            const secretInputs = Object.keys(args.inputs).filter((k) => rpc.isRpcSecret(args.inputs[k]));
            const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
            if (!args.type.startsWith(DYNAMIC_PREFIX)) {
              resources.push({ type: args.type, name: args.name, id: undefined, inputs, outputs: inputs, lookup: false });
              return { id: args.custom ? `${args.name}_id` : undefined, state: inputs };
            }
            const result = args.id
              ? await host.read(args.name, args.id, undefined, inputs).then((r) => ({ id: r.id, outs: r.props }))
              : await checkAndCreate(host, args.name, inputs);
            const { __provider: _, ...outputs } = result.outs;
            resources.push({ type: args.type, name: args.name, id: result.id, inputs, outputs, lookup: Boolean(args.id) });
            return { id: result.id, state: markSecrets(result.outs, [...SECRET_OUTPUTS, ...secretInputs]) };
          } catch (error) {
            const wrapped = new Error(`${args.type} "${args.name}": ${(error as Error).message}`, { cause: error });
            firstFailure ??= wrapped;
            failRun(wrapped);
            // The run fails with this error. Throwing here instead would reject every output of
            // the resource, unhandled, all over the program.
            return { id: undefined, state: {} };
          } finally {
            pending--;
            flushLog();
          }
        },
        call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
      },
      project,
      options.stack ?? "test",
      false,
    );
    const config = Object.fromEntries(Object.entries(options.config ?? {}).map(([k, v]) => [k.includes(":") ? k : `${project}:${k}`, v]));
    pulumi.runtime.setAllConfig(
      config,
      (options.secretKeys ?? []).map((k) => (k.includes(":") ? k : `${project}:${k}`)),
    );

    const exported = await loadProgram(options.program, programPath);
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
      destroy: async () => {
        try {
          await deleteCreated(host, resources);
          flushLog();
        } finally {
          await host.stop();
        }
      },
    };
  } catch (error) {
    flushLog();
    // Leave nothing behind: delete what was created before the failure.
    await deleteCreated(host, resources).catch(() => undefined);
    await host.stop();
    throw error;
  }
}

/** Deletes the servers a run created, newest first; lookups are not the run's to delete. */
async function deleteCreated(host: ProviderHost, resources: OfflineResource[]): Promise<void> {
  for (const r of [...resources].reverse()) {
    if (r.type.startsWith(DYNAMIC_PREFIX) && r.id && !r.lookup) {
      await host.delete(r.name, r.id, { ...r.outputs, __provider: r.inputs.__provider });
    }
  }
}

async function checkAndCreate(host: ProviderHost, name: string, inputs: Record<string, unknown>) {
  const checked = await host.check(name, {}, inputs);
  if (checked.failures.length > 0) {
    throw new Error(`invalid inputs: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
  }
  try {
    return await host.create(name, checked.inputs);
  } catch (error) {
    // Created but not ready: the engine would keep it in state; offline, report and clean up later.
    if (error instanceof HostError && error.initFailure) {
      throw new Error(`${error.message} (server ${error.initFailure.id} was created but is not ready)`);
    }
    throw error;
  }
}

/** The directory holding the program's Pulumi.yaml, or the program's own directory. */
function projectDirOf(programPath: string): string {
  const dir = existsSync(programPath) && statSync(programPath).isDirectory() ? programPath : path.dirname(programPath);
  for (let d = dir; path.dirname(d) !== d; d = path.dirname(d)) {
    if (existsSync(path.join(d, "Pulumi.yaml"))) return d;
  }
  return dir;
}

async function loadProgram(program: OfflineOptions["program"], programPath: string | undefined): Promise<unknown> {
  if (typeof program === "function") return program();
  let entry = programPath!;
  if (statSync(entry).isDirectory()) {
    const index = ["index.ts", "index.js", "index.mts", "index.mjs"].find((f) => existsSync(path.join(entry, f)));
    if (!index) throw new Error(`No index.ts or index.js in ${entry}`);
    entry = path.join(entry, index);
  }
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
