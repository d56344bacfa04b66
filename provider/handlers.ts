/**
 * The GameServer dynamic provider's implementation. The serialized shim
 * (`dynamic-provider.ts`) requires this module by package name inside each method, in the
 * provider host process that `pulumi up` starts. Module-level state (the client, the shared
 * watcher) is shared by every GameServer of the deployment.
 */
import { AmbiguousRequestError, type GameServer, GameServersClient, NotFoundError, type UpdateGameServerRequest } from "../sdk/index.js";
import { IN_PROGRESS_STATUSES } from "../sdk/schemas/index.js";
import {
  checkInputs,
  diffInputs,
  generatePassword,
  inputsFromOutputs,
  type ProviderInputs,
  type ProviderOutputs,
  parseInputs,
  toOutputs,
} from "./inputs.js";
import { type WaitOutcome, Watcher } from "./watcher.js";

/** Statuses of a server that failed to come up: waiting is pointless, replacing is the cure. */
const FAILED_STATUSES: readonly string[] = ["failed", "error"];

/** Poll interval of the shared watcher when `gameservers:pollIntervalMs` is not set. @default 5000 ms */
export const DEFAULT_POLL_INTERVAL_MS = 5_000;

interface Settings {
  apiKey: string | undefined;
  apiUrl: string | undefined;
  consoleApiUrl: string | undefined;
  pollIntervalMs: number;
}

interface Api {
  client: GameServersClient;
  watcher: Watcher;
}

let settings: Settings = readSettings(() => undefined);
let api: Api | undefined;

type Props = Record<string, unknown>;

/** The subset of the host's config object this provider reads. */
export interface ConfigureRequest {
  config: { get(key: string): string | undefined };
}

/**
 * Reads stack config (`gameservers:apiKey`, `gameservers:apiUrl`, `gameservers:consoleApiUrl`,
 * `gameservers:pollIntervalMs`), falling back to the SDK's environment variables. Credentials
 * arrive here, never through the serialized provider.
 */
export async function configure(req: ConfigureRequest): Promise<void> {
  settings = readSettings((key) => req.config.get(`gameservers:${key}`));
  const previous = api;
  api = undefined;
  await previous?.client.close();
}

function readSettings(get: (key: string) => string | undefined): Settings {
  const pick = (key: string, envName: string) => nonEmpty(get(key)) ?? nonEmpty(process.env[envName]);
  const interval = nonEmpty(get("pollIntervalMs")) ?? nonEmpty(process.env.GAMESERVERS_POLL_INTERVAL_MS);
  const pollIntervalMs = interval === undefined ? DEFAULT_POLL_INTERVAL_MS : Number(interval);
  if (!Number.isInteger(pollIntervalMs) || pollIntervalMs < 1) {
    throw new Error(`gameservers:pollIntervalMs must be a whole number of milliseconds, got ${JSON.stringify(interval)}`);
  }
  return {
    apiKey: pick("apiKey", "GAMESERVERS_API_KEY"),
    apiUrl: pick("apiUrl", "GAMESERVERS_API_URL"),
    consoleApiUrl: pick("consoleApiUrl", "GAMESERVERS_CONSOLE_API_URL"),
    pollIntervalMs,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

function connect(): Api {
  if (api) return api;
  if (!settings.apiKey) {
    throw new Error(
      "No API key for the game servers API: run `pulumi config set --secret gameservers:apiKey <key>` (or set GAMESERVERS_API_KEY)",
    );
  }
  const client = new GameServersClient({ apiKey: settings.apiKey, baseUrl: settings.apiUrl, consoleBaseUrl: settings.consoleApiUrl });
  api = { client, watcher: new Watcher(client, settings.pollIntervalMs) };
  return api;
}

/** Progress lines reach `pulumi up` as info lines with no resource attached: name the resource. */
function log(label: string, message: string): void {
  console.log(`[gameservers] ${label}: ${message}`);
}

function labelOf(name: unknown, id?: string): string {
  return `GameServer "${typeof name === "string" && name ? name : "?"}"${id ? ` (${id})` : ""}`;
}

/**
 * An error the host turns into ErrorResourceInitFailed: the server stays in state with these
 * outputs, and the next `pulumi up` calls update, which resumes. Passwords are left out (null)
 * so nothing secret is ever stored unmarked; update fills them in.
 */
function initFailed(message: string, server: GameServer, inputs: ProviderInputs, raw: Props): Error {
  return Object.assign(new Error(message), {
    id: server.id,
    properties: { ...toOutputs(server, inputs, { passwords: false }), __provider: raw.__provider },
    reasons: [message],
  });
}

// ---- check and diff: pure, never call the API ------------------------------------------

export async function check(olds: Props, news: Props) {
  return checkInputs(olds, news);
}

export async function diff(_id: string, olds: Props, news: Props) {
  const { changes, replaces } = diffInputs(olds, news);
  return { changes, replaces, deleteBeforeReplace: false };
}

// ---- create ------------------------------------------------------------------------------

export async function create(raw: Props): Promise<{ id: string; outs: ProviderOutputs }> {
  const inputs = parseInputs(raw);
  const { client } = connect();
  const label = labelOf(inputs.name);
  const server = inputs.adoptServerId ? await adopt(client, inputs, label) : await createOnce(client, inputs, label);
  if (server.status === "running" || !inputs.waitForRunning) {
    log(labelOf(server.name, server.id), `${server.status}${server.connectUrl ? ` at ${server.connectUrl}` : ""}`);
    return { id: server.id, outs: toOutputs(server, inputs) };
  }
  const outcome = await waitUntilRunning(server, inputs);
  return { id: server.id, outs: await settle(outcome, server, inputs, raw, "create") };
}

function createBody(inputs: ProviderInputs) {
  const configuration = passwordPatch(inputs, inputs.configuration);
  // The API requires a CS2 RCON password: a program that gives none gets a strong one.
  if (inputs.gameType === "cs2" && configuration.rconPassword === undefined) configuration.rconPassword = generatePassword();
  return {
    name: inputs.name,
    gameType: inputs.gameType,
    region: inputs.region,
    configuration,
    ...stopSettings(inputs),
  } as Parameters<GameServersClient["gameServers"]["create"]>[0];
}

/** `autoStop` and `autostopMinutes` as declared; unset ones are left to the API's defaults. */
function stopSettings(inputs: ProviderInputs): { autoStop?: boolean; autostopMinutes?: number } {
  return {
    ...(inputs.autoStop !== undefined ? { autoStop: inputs.autoStop } : {}),
    ...(inputs.autostopMinutes !== undefined ? { autostopMinutes: inputs.autostopMinutes } : {}),
  };
}

/**
 * POST once. When the outcome is unknown (the response was lost), look the server up by its
 * unique name instead of creating a second one; only when it provably does not exist is the
 * create sent again, once.
 */
async function createOnce(client: GameServersClient, inputs: ProviderInputs, label: string): Promise<GameServer> {
  const body = createBody(inputs);
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.gameServers.create(body);
    } catch (error) {
      if (!(error instanceof AmbiguousRequestError)) throw error;
      log(label, `the create's outcome is unknown (${error.message}); looking the server up by its unique name`);
      const found = await findByName(client, inputs.name);
      if (found.length === 1) {
        log(labelOf(inputs.name, found[0]!.id), "found: the create had gone through; adopting it");
        return found[0]!;
      }
      if (found.length > 1) {
        throw new Error(`${label}: ${found.length} servers carry this name (${found.map((s) => s.id).join(", ")}); resolve by hand`);
      }
      if (attempt >= 2) throw error;
      log(label, "not found: the create had not gone through; sending it again");
    }
  }
}

async function findByName(client: GameServersClient, name: string): Promise<GameServer[]> {
  const found: GameServer[] = [];
  for await (const server of client.gameServers.list({ pageSize: 100 })) if (server.name === name) found.push(server);
  return found;
}

/** Brings an existing server under management: it must match, then takes the declared settings. */
async function adopt(client: GameServersClient, inputs: ProviderInputs, label: string): Promise<GameServer> {
  const id = inputs.adoptServerId!;
  const existing = await client.gameServers.get(id);
  if (existing.deletedAt !== null) throw new Error(`${label}: cannot adopt ${id}: it was deleted at ${existing.deletedAt}`);
  for (const key of ["gameType", "region"] as const) {
    if (existing[key] !== inputs[key]) {
      throw new Error(
        `${label}: cannot adopt ${id}: its ${key} is ${existing[key]}, the program declares ${inputs[key]} (that would need a replacement)`,
      );
    }
  }
  log(labelOf(existing.name, id), "adopting the existing server into the stack");
  const patch: UpdateGameServerRequest = {
    name: inputs.name,
    configuration: passwordPatch(inputs, inputs.configuration),
    ...stopSettings(inputs),
  };
  return client.gameServers.update(id, patch);
}

function passwordPatch(inputs: ProviderInputs, configuration: Record<string, unknown>): Record<string, unknown> {
  return {
    ...configuration,
    ...(inputs.rconPassword !== undefined ? { rconPassword: inputs.rconPassword } : {}),
    ...(inputs.serverPassword !== undefined ? { serverPassword: inputs.serverPassword } : {}),
  };
}

function waitUntilRunning(server: GameServer, inputs: ProviderInputs): Promise<WaitOutcome> {
  const { watcher } = connect();
  const label = labelOf(server.name, server.id);
  log(label, `${server.status}; waiting up to ${inputs.readyTimeoutSeconds} s for it to run`);
  let reported = server.status;
  let transientLogged = false;
  return watcher.wait(server.id, {
    deadline: Date.now() + inputs.readyTimeoutSeconds * 1000,
    onChange: (s, previous, elapsedMs) => {
      if (previous === undefined && s.status === reported) return;
      const attempts = s.allocationAttempts ? `, allocation attempt ${s.allocationAttempts}` : "";
      const why = s.lastAllocationError && s.status !== "running" ? `: ${s.lastAllocationError}` : "";
      log(label, `${reported} -> ${s.status} (${Math.round(elapsedMs / 1000)} s${attempts})${why}`);
      reported = s.status;
    },
    onTransientError: (error) => {
      if (transientLogged) return;
      transientLogged = true;
      log(label, `polling failed (${error.message}); still waiting`);
    },
  });
}

/** Turns the end of a wait into outputs, or into the error that leaves state consistent. */
async function settle(
  outcome: WaitOutcome,
  server: GameServer,
  inputs: ProviderInputs,
  raw: Props,
  phase: "create" | "update",
): Promise<ProviderOutputs> {
  const label = labelOf(server.name, server.id);
  switch (outcome.kind) {
    case "running":
      log(label, `running at ${outcome.server.connectUrl ?? `${outcome.server.ip}:${outcome.server.port}`}`);
      return toOutputs(outcome.server, inputs);
    case "timeout": {
      const last = outcome.server ?? server;
      throw initFailed(
        `${label} is still ${outcome.lastStatus} after ${inputs.readyTimeoutSeconds} s (readyTimeoutSeconds). ` +
          "It stays in the stack, and the next `pulumi up` resumes waiting for it.",
        last,
        inputs,
        raw,
      );
    }
    case "gone":
      throw new Error(`${label} disappeared while starting: it was deleted outside Pulumi`);
    case "failed": {
      const failed = outcome.server;
      const why = `${failed.status} after ${failed.allocationAttempts} allocation attempt${failed.allocationAttempts === 1 ? "" : "s"}${
        failed.lastAllocationError ? `: ${failed.lastAllocationError}` : ""
      }`;
      if (phase === "update") {
        throw initFailed(`${label} is ${why}. The next \`pulumi up\` replaces it.`, failed, inputs, raw);
      }
      try {
        await connect().client.gameServers.delete(failed.id);
      } catch (error) {
        if (!(error instanceof NotFoundError)) {
          throw initFailed(
            `${label} is ${why}. Deleting the failed server also failed (${(error as Error).message}); it stays in the stack so \`pulumi destroy\` or the next \`pulumi up\` can remove it.`,
            failed,
            inputs,
            raw,
          );
        }
      }
      throw new Error(`${label} is ${why}. The failed server was deleted; nothing is left behind.`);
    }
  }
}

// ---- read, update, delete ----------------------------------------------------------------

export async function read(id: string, props: Props) {
  const { client } = connect();
  let server: GameServer;
  try {
    server = await client.gameServers.get(id);
  } catch (error) {
    // Only a definite "gone" drops the resource; anything else must not.
    if (error instanceof NotFoundError) return goneFromState(props, id, "not found (404)");
    throw error;
  }
  if (server.deletedAt !== null) return goneFromState(props, id, `soft-deleted at ${server.deletedAt}`);
  const outs = toOutputs(server, parseInputs(props));
  return { id, props: outs, inputs: inputsFromOutputs(outs) };
}

function goneFromState(props: Props, id: string, why: string) {
  log(labelOf(props.name, id), `${why}; removing it from the stack`);
  return { id: "", props: {} };
}

export async function update(id: string, olds: Props, news: Props): Promise<{ outs: ProviderOutputs }> {
  const inputs = parseInputs(news);
  const { client } = connect();
  const { updates } = diffInputs(olds, news);
  const patch: UpdateGameServerRequest = {};
  if (updates.includes("name")) patch.name = inputs.name;
  if (updates.some((u) => u === "configuration" || u === "rconPassword" || u === "serverPassword")) {
    patch.configuration = passwordPatch(inputs, inputs.configuration);
  }
  if (updates.includes("autoStop")) patch.autoStop = inputs.autoStop ?? false;
  if (updates.includes("autostopMinutes") && inputs.autostopMinutes !== undefined) patch.autostopMinutes = inputs.autostopMinutes;
  const label = labelOf(inputs.name, id);
  const changed = Object.keys(patch);
  const server = changed.length > 0 ? await client.gameServers.update(id, patch) : await client.gameServers.get(id);
  if (changed.length > 0) log(label, `updated ${changed.join(", ")}`);
  if (server.deletedAt !== null) {
    throw new Error(`${label} was deleted outside Pulumi: run \`pulumi refresh\`, then \`pulumi up\` creates it again`);
  }
  // Running, stopped by autoStop, or not to be waited for: nothing to wait on.
  if (!IN_PROGRESS_STATUSES.includes(server.status) && !FAILED_STATUSES.includes(server.status)) return { outs: toOutputs(server, inputs) };
  if (!inputs.waitForRunning) return { outs: toOutputs(server, inputs) };
  if (FAILED_STATUSES.includes(server.status)) {
    return { outs: await settle({ kind: "failed", server }, server, inputs, news, "update") };
  }
  // Created but not ready at the last run (or stopped since): resume waiting.
  const outcome = await waitUntilRunning(server, inputs);
  return { outs: await settle(outcome, server, inputs, news, "update") };
}

export async function del(id: string, props: Props): Promise<void> {
  const { client } = connect();
  try {
    await client.gameServers.delete(id);
    log(labelOf(props.name, id), "deleted");
  } catch (error) {
    // Already gone is success: delete must be idempotent.
    if (!(error instanceof NotFoundError)) throw error;
    log(labelOf(props.name, id), "already deleted");
  }
}

export { del as delete };
