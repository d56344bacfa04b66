/** The offline runner: a program's resources of this package, deployed for real without the engine. */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { stopWatching } from "../fleet/addresses.js";
import { Limiter } from "../shared/limiter.js";
import { removeLeftovers } from "./leftovers.js";
import { DYNAMIC_PREFIX, LiveRun } from "./live-run.js";
import type { OfflineOptions, OfflineResourceEvent, OfflineRun } from "./options.js";
import { entryOf, loadProgram, projectDirOf } from "./program.js";
import { ProviderHost } from "./provider-host.js";
import { markSecrets, resolveDeep, rpc, unwrapSecrets } from "./secrets.js";
import { track } from "./signals.js";

export type { OfflineOptions, OfflineResource, OfflineResourceEvent, OfflineRun } from "./options.js";

/** What GameServer and FleetServers declare as `additionalSecretOutputs`; mocks do not apply it, the engine does. */
const SECRET_OUTPUTS = ["rconPassword", "serverPassword", "passwords"];
// The drain Pulumi's own program runner awaits before it exits (internal, hence untyped).
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
// Which config keys hold secrets (internal: the language host's own bookkeeping).
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };
// Pulumi's runtime settings store (internal): where the language host's options live.
const pulumiState = require("@pulumi/pulumi/runtime/state") as {
  getStore(): { settings: { options: { cacheDynamicProviders?: boolean } } };
};

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
  await removeLeftovers(cwd, options);
  const host = ProviderHost.launch(cwd);
  const live = new LiveRun(host, options, new Limiter(parallel), cwd);
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
      // The provider's own keys given as config (`gameservers:whenPlayersConnected`, ...), then the options'.
      ...Object.fromEntries(Object.entries(options.config ?? {}).filter(([k]) => k.startsWith("gameservers:"))),
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
    // The host writes a line before it answers the call the line is about, but the line can reach
    // this process a turn of the event loop after the answer: read what is in flight, so that
    // every line of the run is printed before it returns.
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    live.flushLog();
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
