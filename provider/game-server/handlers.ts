/**
 * The GameServer provider's implementation: the module its serialized shim (shim.ts) requires by
 * package name in the provider host. Module-level state (the client, the shared watcher, the
 * journal) is shared by every GameServer of the deployment.
 */
import { type GameServer, type GameServersClient, NotFoundError, type UpdateGameServerRequest } from "../../sdk/index.js";
import { UNRESOLVED_ID_PREFIX } from "../../sdk/internal/index.js";
import { FAILED_STATUSES, IN_PROGRESS_STATUSES } from "../../sdk/schemas/index.js";
import { callOptions, connect, explainKeyRefused, log } from "../core/context.js";
import { type CreateIntent, liveServersNamed, serversFrom } from "../core/fingerprint.js";
import { guardDelete, plannedDelete, planPolicy, policyOf, previewLiveMatch } from "../core/live-match.js";
import { planServer } from "../core/planned-fates.js";
import { describeStoppedServer, isStopped } from "../core/stopped.js";
import type { Props } from "../shared/inputs.js";
import { describeDropped, diffInputs } from "./diff.js";
import { labelOf } from "./failures.js";
import { checkInputs, parseInputs } from "./inputs.js";
import { settleCreate } from "./interrupted.js";
import { declaredConfigurationOf, inputsFromOutputs, type ProviderOutputs, toOutputs } from "./outputs.js";
import { passwordPatch } from "./requests.js";
import { settle, waitUntilRunning } from "./wait.js";

export { configure } from "../core/context.js";
export { create } from "./create.js";
export { settleCreate } from "./interrupted.js";

/** How a fleet calls a server's step: it reports the routine outcome itself, once for all its servers. */
export interface StepOptions {
  /**
   * Print no line for a routine outcome (created, updated, deleted) nor for a stopped server (the
   * fleet names it by key); anything else unusual is still printed.
   */
  quiet?: boolean;
  /** For read: the server as the fleet's batched read just saw it (a 404 is `"gone"`), so no request of its own. */
  seen?: GameServer | "gone";
}

// ---- check and diff: pure, never call the API ------------------------------------------

export async function check(olds: Props, news: Props) {
  return checkInputs(olds, news);
}

export async function diff(id: string, olds: Props, news: Props) {
  // The engine diffs only what its state holds: a create that answered with this id is recorded.
  settleCreate(id, olds, news);
  const { changes, replaces, dropped } = diffInputs(olds, news);
  // The engine shows no detail of a diff: what happens to a key the program dropped is said here.
  for (const d of dropped) log(labelOf(olds.name, id), describeDropped(d, "planned"));
  // A server the platform stopped: said from the state, never asked of the API (diff runs in
  // preview too). When an update follows, it says it from what the API answers instead.
  if (isStopped(olds) && replaces.includes("status"))
    log(labelOf(olds.name, id), "stopped: replaceIfStopped replaces it with a new server (a new id and connectUrl)");
  else if (isStopped(olds) && !changes) log(labelOf(olds.name, id), describeStoppedServer(olds, "state"));
  // A create whose outcome stayed unknown is settled by replacing it: delete looks for the
  // server its POST may have made, then create starts afresh.
  if (id.startsWith(UNRESOLVED_ID_PREFIX)) return { changes: true, replaces: [...replaces, "status"], deleteBeforeReplace: true };
  planServer(id, replaces.length > 0 ? "replaced" : "kept");
  if (replaces.length > 0) {
    // The engine deletes the old server with its old state: the new inputs' guard settings rule.
    planPolicy(id, policyOf(news), "replacing");
    if (olds.status === "running") await previewLiveMatch(id, labelOf(olds.name, id), policyOf(news), "replacement");
  }
  // Pulumi's convention: a server whose name the program fixed is replaced delete-before-create,
  // as old and new cannot both carry the name. Auto-named ones keep create-before-delete.
  return { changes, replaces, deleteBeforeReplace: replaces.length > 0 && news.autoNamePrefix === undefined };
}

// ---- read, update, delete ----------------------------------------------------------------

export async function read(id: string, props: Props, how: StepOptions = {}) {
  return readServer(id, props, how).catch((error: unknown) => {
    throw explainKeyRefused(error, labelOf(props.name, id));
  });
}

async function readServer(id: string, props: Props, how: StepOptions) {
  const { client } = connect();
  // Nothing to read until the next up settles it; refresh keeps it as it is.
  if (id.startsWith(UNRESOLVED_ID_PREFIX)) return { id, props };
  settleCreate(id, props);
  if (how.seen === "gone") return goneFromState(props, id, "not found (404)");
  let server: GameServer;
  try {
    server = how.seen ?? (await client.gameServers.get(id, callOptions(parseInputs(props))));
  } catch (error) {
    // Only a definite "gone" drops the resource; anything else must not.
    if (error instanceof NotFoundError) return goneFromState(props, id, "not found (404)");
    throw error;
  }
  if (server.deletedAt !== null) return goneFromState(props, id, `soft-deleted at ${server.deletedAt}`);
  // The keys the program declared stay its own; what the API added since is not.
  const outs = toOutputs(server, { ...parseInputs(props), configuration: declaredConfigurationOf(props) });
  if (isStopped(server) && !how.quiet) log(labelOf(server.name, id), describeStoppedServer(server, "api"));
  return { id, props: outs, inputs: inputsFromOutputs(outs) };
}

function goneFromState(props: Props, id: string, why: string) {
  log(labelOf(props.name, id), `${why}; removing it from the stack`);
  return { id: "", props: {} };
}

export async function update(id: string, olds: Props, news: Props, how: StepOptions = {}): Promise<{ outs: ProviderOutputs }> {
  return updateServer(id, olds, news, how).catch((error: unknown) => {
    throw explainKeyRefused(error, labelOf(news.name, id));
  });
}

async function updateServer(id: string, olds: Props, news: Props, how: StepOptions): Promise<{ outs: ProviderOutputs }> {
  const inputs = parseInputs(news);
  const { client } = connect();
  settleCreate(id, olds, news);
  const { updates, dropped } = diffInputs(olds, news);
  const patch: UpdateGameServerRequest = {};
  if (updates.includes("name")) patch.name = inputs.name;
  if (updates.some((u) => u === "configuration" || u === "rconPassword" || u === "serverPassword")) {
    // A key the program dropped is set back to its documented default (a merge PATCH cannot remove it).
    const resets = Object.fromEntries(dropped.filter((d) => "reset" in d).map((d) => [d.key, d.reset]));
    patch.configuration = passwordPatch(inputs, { ...resets, ...inputs.configuration });
  }
  if (updates.includes("autoStop")) patch.autoStop = inputs.autoStop ?? false;
  if (updates.includes("autostopMinutes") && inputs.autostopMinutes !== undefined) patch.autostopMinutes = inputs.autostopMinutes;
  const label = labelOf(inputs.name, id);
  if (id.startsWith(UNRESOLVED_ID_PREFIX))
    throw new Error(`${label}: an unresolved create is replaced, never updated; run \`pulumi up\` again`);
  const changed = Object.keys(patch);
  const options = callOptions(inputs);
  if (patch.name !== undefined && news.autoNamePrefix === undefined) {
    const holders = (await liveServersNamed(client, patch.name, options)).filter((h) => h.id !== id);
    if (holders.length > 0) {
      throw new Error(
        `${label}: cannot rename to "${patch.name}": ${holders.map((h) => h.id).join(", ")} already carries that name. Nothing was changed.`,
      );
    }
  }
  const server = changed.length > 0 ? await client.gameServers.update(id, patch, options) : await client.gameServers.get(id, options);
  if (changed.length > 0 && !how.quiet) log(label, `updated ${changed.join(", ")}`);
  if (!how.quiet) for (const d of dropped) log(label, describeDropped(d, "done"));
  if (server.deletedAt !== null) {
    throw new Error(`${label} was deleted outside Pulumi: run \`pulumi refresh\`, then \`pulumi up\` creates it again`);
  }
  // The platform's documented autoStop: said, never a failure (docs/game-server.md).
  if (isStopped(server) && !how.quiet) log(labelOf(server.name, id), describeStoppedServer(server, "api"));
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

export async function del(id: string, props: Props, how: StepOptions = {}): Promise<void> {
  return deleteServer(id, props, how).catch((error: unknown) => {
    throw explainKeyRefused(error, labelOf(props.name, id));
  });
}

async function deleteServer(id: string, props: Props, how: StepOptions): Promise<void> {
  const { client } = connect();
  if (id.startsWith(UNRESOLVED_ID_PREFIX)) await deleteUnresolved(client, props);
  else {
    // A live match is never ended by accident: asked of the server first (see live-match.ts).
    const { policy, what } = plannedDelete(id, policyOf(props));
    await guardDelete(client, id, labelOf(props.name, id), policy, what, props.status);
    try {
      await client.gameServers.delete(id, callOptions(parseInputs(props)));
      if (!how.quiet) log(labelOf(props.name, id), "deleted");
    } catch (error) {
      // Already gone is success: delete must be idempotent.
      if (!(error instanceof NotFoundError)) throw error;
      if (!how.quiet) log(labelOf(props.name, id), "already deleted");
    }
  }
  // Only once it is gone: a fleet taking a server back calls this too, and a failed delete
  // must leave the entry for the next run to find that server.
  settleCreate(id, props);
}

/**
 * Removes whatever an unresolved create made: the servers that provably came from its POST.
 * When the lookup fails, delete fails and the resource stays in state, to be tried again.
 */
async function deleteUnresolved(client: GameServersClient, props: Props): Promise<void> {
  const label = labelOf(props.name);
  const intent = props.createIntent as CreateIntent | undefined;
  if (!intent || typeof intent.fingerprint !== "string") {
    log(label, "unresolved create without a record of its POST; nothing to look for");
    return;
  }
  const found = await serversFrom(client, intent, callOptions(parseInputs(props)));
  if (found.length === 0) log(label, "the unresolved create had made no server");
  for (const server of found) {
    await client.gameServers.delete(server.id, callOptions(parseInputs(props))).catch((error) => {
      if (!(error instanceof NotFoundError)) throw error;
    });
    log(labelOf(server.name, server.id), "deleted: the unresolved create had made it");
  }
}

export { del as delete };
