/**
 * A GameServer's create, exactly once: the API has no idempotency key, so a create whose outcome
 * is unknown adopts only the server that provably came from its POST (core/fingerprint.ts), and
 * sends it again, once, only when none did.
 */
import {
  AmbiguousRequestError,
  type GameServer,
  type GameServersClient,
  InvalidResponseError,
  systemClock,
  type UpdateGameServerRequest,
} from "../../sdk/index.js";
import { callOptions, connect, explainKeyRefused, log, settings } from "../core/context.js";
import { type CreateIntent, cameFrom, intentOf, liveServersNamed, serversFrom } from "../core/fingerprint.js";
import type { WaitOutcome } from "../core/watcher.js";
import { LATE_WRITE_MS, type Props } from "../shared/inputs.js";
import { initFailed, labelOf, unresolvedCreate } from "./failures.js";
import type { StepOptions } from "./handlers.js";
import { type ProviderInputs, parseInputs } from "./inputs.js";
import { adoptOrphan, deleteQuietly, type JournalRecord, journal, journalKey, resumeInterrupted, stackOf } from "./interrupted.js";
import { type ProviderOutputs, toOutputs } from "./outputs.js";
import { createBody, passwordPatch, stopSettings } from "./requests.js";
import { settle, waitUntilRunning } from "./wait.js";

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
    throw explainKeyRefused(error, labelOf(inputs.name));
  }
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

interface Made {
  server: GameServer;
  /** Set when the POST was sent twice: servers of that intent other than `server` are to be removed. */
  sweep?: CreateIntent;
}

/**
 * Creates the server exactly once. A create whose outcome is unknown adopts only the server that
 * provably came from its POST (see core/fingerprint.ts); only when none did is it sent again, once.
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
    // The interrupted create's POST landed after its lookup, before this check: it is this
    // resource's server, not another's.
    const dismissed = record.dismissed;
    const landed = dismissed && holders.find((h) => cameFrom(dismissed, h, client.apiClockOffsetMs ?? 0));
    if (dismissed && landed) {
      record.intent = dismissed;
      await journal.write(stackOf(inputs), key, dismissed);
      const how = `left by a create interrupted at ${new Date(dismissed.sentAt).toISOString()} (its POST landed late)`;
      return { server: await adoptOrphan(client, landed, inputs, how) };
    }
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
