/**
 * A GameServer's entries in the create journal: written before a create's POST, answered with
 * the id create returned, settled once the stack is seen to hold it. An entry a create still
 * finds means an earlier create was interrupted; its server is looked for, and adopted or deleted.
 */
import { type GameServer, type GameServersClient, NotFoundError, systemClock } from "../../sdk/index.js";
import { UNRESOLVED_ID_PREFIX } from "../../sdk/internal/index.js";
import { callOptions, log } from "../core/context.js";
import { type CreateIntent, serversFrom } from "../core/fingerprint.js";
import { Journal } from "../core/journal.js";
import { LATE_WRITE_MS, type Props } from "../shared/inputs.js";
import { labelOf } from "./failures.js";
import { type ProviderInputs, parseInputs } from "./inputs.js";
import { passwordPatch, stopSettings } from "./requests.js";

/** The create journal of this process: every GameServer (and every server of a fleet) writes to it. */
export const journal = new Journal();

/** The journal's scope of inputs that name no stack (a host driven directly, not by a program). */
const UNSCOPED = "(no stack)";

/** The intent of the POST a create sent (or of the interrupted create it resumed). */
export interface JournalRecord {
  intent?: CreateIntent;
  /**
   * The intent of an interrupted create whose server the lookup did not find: its POST may
   * still land before the name is checked, and is then adopted (see createExactlyOnce).
   */
  dismissed?: CreateIntent;
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

/** The stack a create's journal entry belongs to. */
export function stackOf(inputs: ProviderInputs): string {
  return inputs.stack ?? UNSCOPED;
}

/** The resource a journal entry belongs to: its logical name, or its fixed server name. */
export function journalKey(inputs: ProviderInputs): string {
  return inputs.autoNamePrefix !== undefined ? `auto:${inputs.autoNamePrefix}` : `name:${inputs.name}`;
}

/**
 * The journal holds this stack's entry for this resource: an earlier create was interrupted
 * (the provider host was killed after its POST, or the CLI before its checkpoint had the id),
 * so the server it made, if any, is unknown to the stack: adopt it when it can become what the
 * program declares, otherwise delete it. Only this stack's entries are read: another stack's
 * server is never adopted, changed or deleted.
 */
export async function resumeInterrupted(
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
    if (entry.answeredId === undefined) record.dismissed = earlier;
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
  return adoptOrphan(client, orphan, inputs, how);
}

/** Takes over the server an interrupted create of this resource made: the program's name, configuration and passwords. */
export async function adoptOrphan(client: GameServersClient, orphan: GameServer, inputs: ProviderInputs, how: string): Promise<GameServer> {
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
export function reportLegacyEntry(key: string, label: string): void {
  const legacy = journal.takeLegacy(key);
  if (!legacy) return;
  log(
    label,
    `found a create journal entry of an older pulumi-gameservers (before stacks were told apart), from ${new Date(legacy.sentAt).toISOString()}: ` +
      `the server it may have made ("${legacy.name}", ${legacy.gameType}, ${legacy.region}) could be this stack's or another's in this directory, so it was left alone ` +
      `(entry moved to ${journal.dir}/legacy). If no stack holds it, \`pulumi stack export | npx gameservers orphans --state -\` lists it.`,
  );
}

export async function deleteQuietly(client: GameServersClient, server: GameServer, label: string, why: string): Promise<void> {
  try {
    await client.gameServers.delete(server.id, { deadline: Date.now() + 60_000 });
    log(label, `deleted ${server.id}: ${why}`);
  } catch (error) {
    if (!(error instanceof NotFoundError))
      log(label, `could not delete ${server.id} (${why}): ${(error as Error).message}; delete it by hand`);
  }
}
