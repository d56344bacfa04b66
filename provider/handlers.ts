/**
 * The GameServer dynamic provider's implementation. The serialized shim
 * (`dynamic-provider.ts`) requires this module by package name inside each method, in the
 * provider host process that `pulumi up` starts. Module-level state (the client, the shared
 * watcher) is shared by every GameServer of the deployment.
 */
import { randomBytes } from "node:crypto";
import {
  AmbiguousRequestError,
  type GameServer,
  type GameServersClient,
  InvalidResponseError,
  NotFoundError,
  systemClock,
  type UpdateGameServerRequest,
} from "../sdk/index.js";
import { UNRESOLVED_ID_PREFIX } from "../sdk/internal/index.js";
import { FAILED_STATUSES, IN_PROGRESS_STATUSES } from "../sdk/schemas/index.js";
import { callOptions, connect, log, settings } from "./core/context.js";
import { type CreateIntent, intentOf, liveServersNamed, serversFrom } from "./core/fingerprint.js";
import { Journal } from "./core/journal.js";
import { planServer } from "./core/planned-fates.js";
import { describeStoppedServer, isStopped } from "./core/stopped.js";
import type { WaitOutcome } from "./core/watcher.js";
import {
  checkInputs,
  declaredConfigurationOf,
  describeDropped,
  diffInputs,
  generatePassword,
  inputsFromOutputs,
  type ProviderInputs,
  type ProviderOutputs,
  parseInputs,
  toOutputs,
} from "./inputs.js";
import { LATE_WRITE_MS, type Props, STACK_INPUT } from "./shared/inputs.js";

export { configure } from "./core/context.js";

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
  // Pulumi's convention: a server whose name the program fixed is replaced delete-before-create,
  // as old and new cannot both carry the name. Auto-named ones keep create-before-delete.
  return { changes, replaces, deleteBeforeReplace: replaces.length > 0 && news.autoNamePrefix === undefined };
}

// ---- create ------------------------------------------------------------------------------

const journal = new Journal();

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

/**
 * Creates the server (exactly once, see {@link createExactlyOnce}) and waits for it to run. Its
 * journal entry is marked with the id it answers with, and stays until a later operation shows
 * the stack holds that id ({@link settleCreate}): the engine writes its checkpoint only after
 * this answer, and a CLI killed in between would otherwise leave the server outside the state.
 */
export async function create(raw: Props, how: StepOptions = {}): Promise<{ id: string; outs: ProviderOutputs }> {
  const inputs = parseInputs(raw);
  const stack = stackOf(inputs);
  const key = journalKey(inputs);
  const record: JournalRecord = {};
  try {
    const made = await createAndWait(raw, inputs, record, how);
    if (record.intent) await journal.answer(stack, key, record.intent, made.id);
    return made;
  } catch (error) {
    const { id, keepJournal } = error as { id?: unknown; keepJournal?: boolean };
    // A server (or an unresolved create) that stays in the stack is answered like a success; an
    // earlier interrupted create that could not be looked up keeps its entry for the next run;
    // otherwise nothing of this create is left, and neither is its entry.
    if (record.intent && typeof id === "string" && id) await journal.answer(stack, key, record.intent, id);
    else if (!keepJournal) journal.remove(stack, key);
    throw error;
  }
}

/** The intent of the POST a create sent (or of the interrupted create it resumed). */
interface JournalRecord {
  intent?: CreateIntent;
}

async function createAndWait(
  raw: Props,
  inputs: ProviderInputs,
  record: JournalRecord,
  how: StepOptions,
): Promise<{ id: string; outs: ProviderOutputs }> {
  const { client } = connect();
  const label = labelOf(inputs.name);
  const made = inputs.adoptServerId
    ? { server: await adopt(client, inputs, label) }
    : await createExactlyOnce(client, inputs, raw, label, record);
  const { server } = made;
  if (server.status === "running" || !inputs.waitForRunning) {
    if (!how.quiet) log(labelOf(server.name, server.id), `${server.status}${server.connectUrl ? ` at ${server.connectUrl}` : ""}`);
    if (made.sweep) await sweepDuplicates(client, made.sweep, server.id);
    return { id: server.id, outs: toOutputs(server, inputs) };
  }
  let outcome: WaitOutcome;
  try {
    outcome = await waitUntilRunning(server, inputs);
  } catch (error) {
    // The server exists: whatever ended the wait (a revoked key, a lost scope), it must reach
    // the state, or nothing would ever delete it.
    throw initFailed(
      `${labelOf(server.name, server.id)}: waiting for it to run failed (${(error as Error).message}). It stays in the stack; the next \`pulumi up\` resumes waiting.`,
      server,
      inputs,
      raw,
    );
  }
  if (made.sweep) await sweepDuplicates(client, made.sweep, server.id);
  return { id: server.id, outs: await settle(outcome, server, inputs, raw, "create") };
}

/**
 * The stack holds `id` for this resource (the engine sent an operation on it): a create journal
 * entry answered with that id has done its work. `props` are its outputs (or inputs), `news`
 * the program's inputs when the operation has them (they name the stack for states written
 * before the outputs did).
 */
export function settleCreate(id: string, props: Props, news: Props = {}): void {
  const outputs = parseInputs(props);
  const stack = outputs.stack ?? parseInputs(news).stack;
  if (!id || (outputs.name === "" && outputs.autoNamePrefix === undefined)) return;
  journal.settle(stack ?? UNSCOPED, journalKey(outputs), id);
}

/** The journal's scope of inputs that name no stack (a host driven directly, not by a program). */
const UNSCOPED = "(no stack)";

function stackOf(inputs: ProviderInputs): string {
  return inputs.stack ?? UNSCOPED;
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

/** The resource a journal entry belongs to: its logical name, or its fixed server name. */
function journalKey(inputs: ProviderInputs): string {
  return inputs.autoNamePrefix !== undefined ? `auto:${inputs.autoNamePrefix}` : `name:${inputs.name}`;
}

interface Made {
  server: GameServer;
  /** Set when the POST was sent twice: servers of that intent other than `server` are to be removed. */
  sweep?: CreateIntent;
}

/**
 * Creates the server exactly once. A create whose outcome is unknown adopts only the server that
 * provably came from its POST (see reconcile.ts); only when none did is it sent again, once.
 */
async function createExactlyOnce(
  client: GameServersClient,
  inputs: ProviderInputs,
  raw: Props,
  label: string,
  record: JournalRecord,
): Promise<Made> {
  const options = callOptions(inputs);
  const key = journalKey(inputs);
  const resumed = await resumeInterrupted(client, stackOf(inputs), key, inputs, label, record);
  if (resumed) return { server: resumed };

  // A fixed name must be free among live servers: taking over one is adoptServerId's job alone.
  if (inputs.autoNamePrefix === undefined) {
    const holders = await liveServersNamed(client, inputs.name, options);
    if (holders.length > 0) {
      const list = holders.map((h) => `${h.id} (${h.region}, ${h.status}, created ${h.createdAt})`).join(", ");
      throw new Error(
        `${label}: the name "${inputs.name}" is already carried by ${list}. Nothing was created. ` +
          `Choose another name, or take that server over with \`adoptServerId: "${holders[0]!.id}"\`. ` +
          "If an interrupted run of this stack left it, `pulumi stack export | npx gameservers orphans --state -` lists it and `--delete` removes it.",
      );
    }
  }

  const body = createBody(inputs);
  const intent = intentOf(body);
  record.intent = intent;
  await journal.write(stackOf(inputs), key, intent);
  for (let sent = 1; ; sent++) {
    try {
      // Creates come many at once (a fleet, parallel resources): each leaves room in the API's
      // rate-limit window for the polls that tell when servers run.
      const server = await client.gameServers.create(body, { ...options, bulk: true });
      return { server, ...(sent > 1 ? { sweep: intent } : {}) };
    } catch (error) {
      const committed = error instanceof InvalidResponseError; // a 2xx we could not read: it was created
      if (!(error instanceof AmbiguousRequestError) && !committed) throw error;
      log(label, `the create's outcome is unknown (${(error as Error).message}); looking for the server that POST made`);
      let found = await findMade(client, intent, inputs, raw, label, error as Error);
      if (!found && !committed && sent === 1) {
        // A write may land after the client gave up on it: give it as long again as the request
        // had (at most 5 s), and look once more before sending again.
        await systemClock.sleep(Math.min(settings().requestTimeoutMs ?? LATE_WRITE_MS, LATE_WRITE_MS));
        found = await findMade(client, intent, inputs, raw, label, error as Error);
      }
      if (found) {
        log(labelOf(found.name, found.id), "found: that POST had created it (same settings and passwords, created after it was sent)");
        return { server: found, ...(sent > 1 ? { sweep: intent } : {}) };
      }
      if (committed || sent >= 2) throw unresolvedCreate(intent, inputs, raw, label, error as Error, undefined);
      log(label, "no server came from that POST; sending it again");
    }
  }
}

/** The server `intent`'s POST made, the oldest if there are several (the others are removed). */
async function findMade(
  client: GameServersClient,
  intent: CreateIntent,
  inputs: ProviderInputs,
  raw: Props,
  label: string,
  cause: Error,
): Promise<GameServer | undefined> {
  let found: GameServer[];
  try {
    found = await serversFrom(client, intent, callOptions(inputs));
  } catch (lookupError) {
    throw unresolvedCreate(intent, inputs, raw, label, cause, lookupError as Error);
  }
  for (const extra of found.slice(1)) await deleteQuietly(client, extra, label, "a duplicate made by the same create");
  return found[0];
}

/** After a POST sent twice: a first write that landed late is a duplicate of ours, removed. */
async function sweepDuplicates(client: GameServersClient, intent: CreateIntent, keep: string): Promise<void> {
  try {
    const found = await serversFrom(client, intent);
    for (const s of found)
      if (s.id !== keep) await deleteQuietly(client, s, labelOf(intent.name, keep), "a duplicate made by the same create");
  } catch (error) {
    log(
      labelOf(intent.name, keep),
      `could not check for a duplicate of this create (${(error as Error).message}); \`gameservers orphans\` lists any`,
    );
  }
}

async function deleteQuietly(client: GameServersClient, server: GameServer, label: string, why: string): Promise<void> {
  try {
    await client.gameServers.delete(server.id, { deadline: Date.now() + 60_000 });
    log(label, `deleted ${server.id}: ${why}`);
  } catch (error) {
    if (!(error instanceof NotFoundError))
      log(label, `could not delete ${server.id} (${why}): ${(error as Error).message}; delete it by hand`);
  }
}

/**
 * The journal holds this stack's entry for this resource: an earlier create was interrupted
 * (the provider host was killed after its POST, or the CLI before its checkpoint had the id),
 * so the server it made, if any, is unknown to the stack: adopt it when it can become what the
 * program declares, otherwise delete it. Only this stack's entries are read: another stack's
 * server is never adopted, changed or deleted.
 */
async function resumeInterrupted(
  client: GameServersClient,
  stack: string,
  key: string,
  inputs: ProviderInputs,
  label: string,
  record: JournalRecord,
) {
  reportLegacyEntry(key, label);
  const entry = journal.read(stack, key);
  if (!entry) return undefined;
  const earlier = entry.intent;
  record.intent = earlier;
  const when = new Date(earlier.sentAt).toISOString();
  const lookUp = async () => {
    try {
      if (entry.answeredId !== undefined) return await answeredServer(client, entry.answeredId, inputs);
      return await serversFrom(client, earlier, callOptions(inputs));
    } catch (error) {
      const message =
        `${label}: a create of this resource was interrupted at ${when}; the server it may have made ("${earlier.name}", ${earlier.gameType}, ${earlier.region}) ` +
        `could not be looked up (${(error as Error).message}). Nothing was created; run \`pulumi up\` again.`;
      throw Object.assign(new Error(message), { keepJournal: true });
    }
  };
  let found = await lookUp();
  // The POST may still be landing: the API can apply a write after its sender died. Give it
  // 5 s from when it was sent (a run that follows a kill at once), then look once more.
  const landingFor = earlier.sentAt + LATE_WRITE_MS - Date.now();
  if (found.length === 0 && entry.answeredId === undefined && landingFor > 0) {
    await systemClock.sleep(landingFor);
    found = await lookUp();
  }
  if (found.length === 0) {
    // An answered create's server deleted since (a destroy) is routine: nothing to say.
    if (entry.answeredId === undefined) log(label, `a create of this resource was interrupted at ${when}; it had made no server`);
    journal.remove(stack, key);
    record.intent = undefined;
    return undefined;
  }
  const [orphan, ...extra] = found as [GameServer, ...GameServer[]];
  for (const e of extra) await deleteQuietly(client, e, label, "a duplicate left by an interrupted create");
  const how =
    entry.answeredId !== undefined ? `answered at ${when}, but the stack never recorded it` : `left by a create interrupted at ${when}`;
  if (orphan.gameType !== inputs.gameType || orphan.region !== inputs.region) {
    await deleteQuietly(client, orphan, label, `${how}, and the program now declares another game type or region`);
    return undefined;
  }
  log(labelOf(orphan.name, orphan.id), `${how}: adopting it instead of creating another`);
  return client.gameServers.update(
    orphan.id,
    { name: inputs.name, configuration: passwordPatch(inputs, inputs.configuration), ...stopSettings(inputs) },
    callOptions(inputs),
  );
}

/** The server a create of this stack answered with, while it lives (its id is proof enough). */
async function answeredServer(client: GameServersClient, id: string, inputs: ProviderInputs): Promise<GameServer[]> {
  if (id.startsWith(UNRESOLVED_ID_PREFIX)) return [];
  try {
    const server = await client.gameServers.get(id, callOptions(inputs));
    return server.deletedAt === null ? [server] : [];
  } catch (error) {
    if (error instanceof NotFoundError) return [];
    throw error;
  }
}

/**
 * A journal entry of a version that did not tell stacks apart: it may be another stack's, so
 * nothing is adopted or deleted on its word. It is moved aside and reported once.
 */
function reportLegacyEntry(key: string, label: string): void {
  const legacy = journal.takeLegacy(key);
  if (!legacy) return;
  log(
    label,
    `found a create journal entry of an older pulumi-gameservers (before stacks were told apart), from ${new Date(legacy.sentAt).toISOString()}: ` +
      `the server it may have made ("${legacy.name}", ${legacy.gameType}, ${legacy.region}) could be this stack's or another's in this directory, so it was left alone ` +
      `(entry moved to ${journal.dir}/legacy). If no stack holds it, \`pulumi stack export | npx gameservers orphans --state -\` lists it.`,
  );
}

/**
 * The create's outcome stays unknown. The error keeps the resource in state under a placeholder
 * id with the POST's intent, so the next run (on any machine) finds the server instead of
 * making a second one.
 */
function unresolvedCreate(
  intent: CreateIntent,
  inputs: ProviderInputs,
  raw: Props,
  label: string,
  cause: Error,
  lookupError: Error | undefined,
): Error {
  const message =
    `${label}: the create's outcome is unknown (${cause.message})${lookupError ? `, and looking the server up failed too (${lookupError.message})` : ""}. ` +
    `A server named "${intent.name}" (${intent.gameType}, ${intent.region}) may exist. It stays in the stack as unresolved: ` +
    "the next `pulumi up` looks for it and removes it before creating the server again, and `pulumi destroy` removes it if it exists.";
  return Object.assign(new Error(message), {
    id: `${UNRESOLVED_ID_PREFIX}${randomBytes(6).toString("hex")}`,
    properties: { ...unresolvedOutputs(inputs), createIntent: intent, __provider: raw.__provider },
    reasons: [message],
  });
}

/** Outputs of a resource whose server is not known: what was asked for, nothing the API said. */
function unresolvedOutputs(inputs: ProviderInputs) {
  return {
    serverId: null,
    name: inputs.name,
    gameType: inputs.gameType,
    region: inputs.region,
    status: "unknown",
    configuration: inputs.configuration,
    waitForRunning: inputs.waitForRunning,
    readyTimeoutSeconds: inputs.readyTimeoutSeconds,
    ...(inputs.autoNamePrefix !== undefined ? { autoNamePrefix: inputs.autoNamePrefix } : {}),
    ...(inputs.stack !== undefined ? { [STACK_INPUT]: inputs.stack } : {}),
  };
}

/** Brings an existing server under management: it must match, then takes the declared settings. */
async function adopt(client: GameServersClient, inputs: ProviderInputs, label: string): Promise<GameServer> {
  const id = inputs.adoptServerId!;
  const existing = await client.gameServers.get(id, callOptions(inputs));
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
  return client.gameServers.update(id, patch, callOptions(inputs));
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
    server,
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
        await connect().client.gameServers.delete(failed.id, callOptions(inputs));
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

export async function read(id: string, props: Props, how: StepOptions = {}) {
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
  // The platform's documented autoStop: said, never a failure (issue 17 point 6).
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
  const { client } = connect();
  if (id.startsWith(UNRESOLVED_ID_PREFIX)) await deleteUnresolved(client, props);
  else {
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
