/**
 * The live-match guard: before a running server is deleted (a destroy, a replacement, a server
 * removed from a fleet), ask it whether players are connected, and with players connected refuse,
 * or drain, or go on, as the resource's `whenPlayersConnected` (or the stack-wide override) says.
 * The console is the only place the API shows players: CS2's `status` prints
 * `players : N humans, M bots (...)`, and the command's output reaches the server's log.
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  type GameServersClient,
  InsufficientScopeError,
  NotFoundError,
  PermissionDeniedError,
  ProviderPermissionDeniedError,
} from "../../sdk/index.js";
import { FAILED_STATUSES } from "../../sdk/schemas/index.js";
import { connect, log, settings } from "./context.js";
import { STOPPED } from "./stopped.js";

/** What to do when a server about to be deleted has players connected. */
export const WHEN_PLAYERS_CONNECTED = ["refuse", "drain", "end"] as const;
export type WhenPlayersConnected = (typeof WHEN_PLAYERS_CONNECTED)[number];

/** How long a drain waits for the players to leave. @default 900 s */
export const DEFAULT_DRAIN_TIMEOUT_SECONDS = 900;

/** A resource's guard settings, as its state (or a planned replacement's inputs) has them. */
export interface LiveMatchPolicy {
  whenPlayersConnected?: WhenPlayersConnected;
  drainTimeoutSeconds?: number;
  /** Said on the server's console (`say ...`) when a drain starts, and every minute while it lasts. */
  drainAnnouncement?: string;
}

/** What asking a server about its players gave. */
export type PlayersReading =
  | { kind: "players"; humans: number; bots: number }
  /** Not running (or gone): nobody can be playing on it. */
  | { kind: "not-running"; status: string }
  | { kind: "unreadable"; why: string };

/** Statuses a server never leaves for `running`. */
const NEVER_RUNS_AGAIN: readonly string[] = [STOPPED, ...FAILED_STATUSES];

/** How long a `status` answer may take to reach the log. @default 3 s */
const ANSWER_WAIT_MS = 3_000;
const PLAYERS_LINE = /players\s*:\s*(\d+)\s+humans?,\s*(\d+)\s+bots?/g;

/** The `players : N humans, M bots` lines of a log, oldest first. */
function playersLines(content: string): { humans: number; bots: number }[] {
  return [...content.matchAll(PLAYERS_LINE)].map((m) => ({ humans: Number(m[1]), bots: Number(m[2]) }));
}

/**
 * Asks a server how many players are connected: `status` on its console, its answer read from
 * the latest log (the first `players :` line after the command). Costs three console requests
 * for a running server; the server itself is read only when its console refuses the command (a
 * server that is not running refuses it too). Never throws.
 */
export async function readPlayers(client: GameServersClient, id: string): Promise<PlayersReading> {
  try {
    const before = playersLines((await client.logs.latest(id)).content).length;
    try {
      await client.console.sendCommand(id, "status");
    } catch (error) {
      if (!(error instanceof ProviderPermissionDeniedError)) throw error;
      // Not running (nobody can play on it), or a running server's console that refuses commands.
      const server = await client.gameServers.get(id);
      if (server.deletedAt !== null || server.status !== "running") return { kind: "not-running", status: server.status };
      return { kind: "unreadable", why: "the server's console refuses commands" };
    }
    const until = Date.now() + ANSWER_WAIT_MS;
    for (;;) {
      const lines = playersLines((await client.logs.latest(id)).content);
      if (lines.length > before) return { kind: "players", ...lines[lines.length - 1]! };
      if (Date.now() >= until)
        return { kind: "unreadable", why: `the server printed no answer to \`status\` within ${ANSWER_WAIT_MS / 1000} s` };
      await sleep(100);
    }
  } catch (error) {
    if (error instanceof NotFoundError) return { kind: "not-running", status: "deleted" };
    if (error instanceof InsufficientScopeError)
      return { kind: "unreadable", why: `the API key lacks ${error.requiredScope ?? "a console scope"}, which reading players needs` };
    if (error instanceof PermissionDeniedError) return { kind: "unreadable", why: (error as Error).message };
    return { kind: "unreadable", why: `the console did not answer (${(error as Error).message})` };
  }
}

/** A delete the guard refused: the server, why, and how to proceed on purpose. */
export class LiveMatchError extends Error {
  override name = "LiveMatchError";
}

/** The stack-wide override (`gameservers:whenPlayersConnected`, then `GAMESERVERS_WHEN_PLAYERS_CONNECTED`), if set. */
export function stackWidePolicy(): WhenPlayersConnected | undefined {
  return settings().whenPlayersConnected;
}

/** What a delete under these settings does with players connected: the stack-wide override first. */
export function effectivePolicy(policy: LiveMatchPolicy): WhenPlayersConnected {
  return stackWidePolicy() ?? policy.whenPlayersConnected ?? "refuse";
}

/** What a refused delete says to do instead. */
const WAYS_OUT =
  'To proceed on purpose: set `whenPlayersConnected: "drain"` (waits for the players to leave, up to `drainTimeoutSeconds`) ' +
  'or `"end"` on the resource and run `pulumi up` again, or for one run set GAMESERVERS_WHEN_PLAYERS_CONNECTED=end ' +
  "(or drain) in the environment of `pulumi up` / `pulumi destroy` (stack-wide: `pulumi config set gameservers:whenPlayersConnected end`, " +
  "which a `pulumi destroy` sees once a `pulumi up` has run with it).";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * Lets the delete of a server go on only when nobody plays on it, or the policy says to drain
 * (and the players left) or to end the match. Throws {@link LiveMatchError} otherwise: with
 * players connected, or when they cannot be read (safe by default), saying how to proceed.
 * @param what `deleting` or `replacing`, for the message
 */
export async function guardDelete(
  client: GameServersClient,
  id: string,
  label: string,
  policy: LiveMatchPolicy,
  what: "deleting" | "replacing",
  stateStatus?: unknown,
): Promise<void> {
  const when = effectivePolicy(policy);
  if (when === "end") return;
  // A stopped or failed server never runs again (the API has no start call): nobody is on it.
  if (typeof stateStatus === "string" && NEVER_RUNS_AGAIN.includes(stateStatus)) return;
  const reading = await readPlayers(client, id);
  if (reading.kind === "not-running") return;
  if (reading.kind === "unreadable") {
    throw new LiveMatchError(
      `${label}: not ${what} it: whether players are connected cannot be read (${reading.why}), and ending a live match ` +
        `by accident is worse than a failed step. ${WAYS_OUT}`,
    );
  }
  if (reading.humans === 0) return;
  if (when === "drain") return drain(client, id, label, policy, reading.humans);
  throw new LiveMatchError(
    `${label}: not ${what} it: ${plural(reading.humans, "player")} connected, and ${what} it would end their match ` +
      `(whenPlayersConnected: "refuse"). ${WAYS_OUT}`,
  );
}

/** Waits for the players to leave, announcing when asked, up to the drain's deadline. */
async function drain(client: GameServersClient, id: string, label: string, policy: LiveMatchPolicy, humans: number): Promise<void> {
  const timeoutSeconds = policy.drainTimeoutSeconds ?? DEFAULT_DRAIN_TIMEOUT_SECONDS;
  const started = Date.now();
  const deadline = started + timeoutSeconds * 1000;
  const every = Math.min(5_000, Math.max(100, settings().pollIntervalMs * 5));
  let announced = 0;
  let reported = started;
  log(label, `draining: ${plural(humans, "player")} connected; waiting up to ${timeoutSeconds} s for them to leave`);
  for (;;) {
    if (policy.drainAnnouncement && Date.now() - announced >= 60_000) {
      announced = Date.now();
      await client.console.sendCommand(id, `say ${policy.drainAnnouncement}`).catch((error: Error) => {
        log(label, `draining: the announcement could not be sent (${error.message})`);
      });
    }
    await sleep(Math.min(every, Math.max(0, deadline - Date.now())));
    const reading = await readPlayers(client, id);
    if (reading.kind === "not-running" || (reading.kind === "players" && reading.humans === 0)) {
      log(label, `drained after ${Math.round((Date.now() - started) / 1000)} s: no player connected`);
      return;
    }
    if (reading.kind === "players") humans = reading.humans;
    if (Date.now() >= deadline) {
      const now = reading.kind === "players" ? `${plural(humans, "player")} still connected` : `players unreadable (${reading.why})`;
      throw new LiveMatchError(
        `${label}: not deleting it: ${now} after draining for ${timeoutSeconds} s (drainTimeoutSeconds). ` +
          'Run again to drain again, raise drainTimeoutSeconds, or set `whenPlayersConnected: "end"` to end the match on purpose.',
      );
    }
    if (Date.now() - reported >= 30_000) {
      reported = Date.now();
      log(label, `draining: ${plural(humans, "player")} connected (${Math.round((Date.now() - started) / 1000)} s of ${timeoutSeconds} s)`);
    }
  }
}

const planned = new Map<string, { policy: LiveMatchPolicy; what: "replacing" | "deleting" }>();

/**
 * Records how the server `id` is to be deleted in this deployment, and by which guard settings:
 * the engine calls delete with the old state only, and a program that allows ending the match in
 * the same change as the replacement means it.
 */
export function planPolicy(id: string, policy: LiveMatchPolicy, what: "replacing" | "deleting"): void {
  planned.set(id, { policy, what });
}

/** Whether a delete of `id` was planned by a diff of this deployment. */
export function isPlanned(id: string): boolean {
  return planned.has(id);
}

/** The guard settings a delete of `id` follows (the planned ones, else the state's), and what the delete is. */
export function plannedDelete(id: string, state: LiveMatchPolicy): { policy: LiveMatchPolicy; what: "replacing" | "deleting" } {
  return planned.get(id) ?? { policy: state, what: "deleting" };
}

const fleetRemovals = new Map<string, LiveMatchPolicy>();

/**
 * Records a fleet's guard settings for servers removed from it (its `defaults`' ones), from a
 * part's diff: a part whose servers were all removed is deleted with its old state only.
 */
export function planFleetRemoval(fleet: string, policy: LiveMatchPolicy): void {
  if (Object.keys(policy).length > 0) fleetRemovals.set(fleet, policy);
}

/** The guard settings a server removed from `fleet` is deleted by in this deployment, if the fleet set any. */
export function fleetRemoval(fleet: string): LiveMatchPolicy | undefined {
  return fleetRemovals.get(fleet);
}

/** The guard settings of a state or of inputs (anything else is left out). */
export function policyOf(props: Record<string, unknown>): LiveMatchPolicy {
  const policy: LiveMatchPolicy = {};
  const when = props.whenPlayersConnected;
  if (typeof when === "string" && (WHEN_PLAYERS_CONNECTED as readonly string[]).includes(when))
    policy.whenPlayersConnected = when as WhenPlayersConnected;
  if (typeof props.drainTimeoutSeconds === "number") policy.drainTimeoutSeconds = props.drainTimeoutSeconds;
  if (typeof props.drainAnnouncement === "string") policy.drainAnnouncement = props.drainAnnouncement;
  return policy;
}

/**
 * For a preview: says when a planned replacement or removal would meet players, from what the
 * server answers now. Never throws; says nothing of a server that is not running.
 */
export async function previewLiveMatch(id: string, label: string, policy: LiveMatchPolicy, what: "replacement" | "removal"): Promise<void> {
  const when = effectivePolicy(policy);
  if (when === "end") return;
  let client: GameServersClient;
  try {
    client = connect().client;
  } catch {
    return; // No key: the step itself says so.
  }
  const reading = await readPlayers(client, id);
  if (reading.kind === "players" && reading.humans > 0) {
    const then =
      when === "drain"
        ? `the ${what} waits for them to leave (up to ${policy.drainTimeoutSeconds ?? DEFAULT_DRAIN_TIMEOUT_SECONDS} s)`
        : `\`pulumi up\` refuses the ${what} (whenPlayersConnected: "refuse")`;
    log(label, `${plural(reading.humans, "player")} connected now: ${then}`);
  } else if (reading.kind === "unreadable") {
    log(label, `players cannot be read (${reading.why}): \`pulumi up\` refuses the ${what} unless whenPlayersConnected is "end"`);
  }
}
