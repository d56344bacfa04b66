/**
 * One server's step within a FleetServers operation (create, update, replace, delete), through
 * the GameServer provider's own handlers, and the queue every part's steps share.
 */
import { UNRESOLVED_ID_PREFIX } from "../../../sdk/internal/index.js";
import { connect, log, PROGRESS_EVERY_MS } from "../../core/context.js";
import { effectivePolicy, guardDelete, planPolicy, policyOf } from "../../core/live-match.js";
import { labelOf as serverLabel } from "../../game-server/failures.js";
import * as server from "../../game-server/handlers.js";
import { isRecord, type Props } from "../../shared/inputs.js";
import { Limiter } from "../../shared/limiter.js";
import { type Fleet, labelOf, serverInputs } from "./state.js";

/** Server steps in flight at once in the provider host, every fleet part's together: the SDK's connection pool per origin. */
export const IN_FLIGHT = 32;

/** What one server's step ended with: its state (outputs and id), or nothing left of it. */
export type Outcome =
  | { kind: "ok"; id: string; outs: Props }
  | { kind: "gone" }
  | { kind: "failed"; error: Error; kept?: { id: string; outs: Props } };

/**
 * Creates one server. Its journal entry stays until the engine is seen to hold the fleet's
 * state with it (the next diff or update of this part), so a run interrupted before the
 * engine's checkpoint still finds it.
 */
export async function createServer(props: Props, fleet: Fleet, key: string): Promise<Outcome> {
  const raw = serverInputs(props, key, fleet.servers[key]!);
  try {
    const { id, outs } = await server.create(raw, { quiet: true });
    return { kind: "ok", id, outs };
  } catch (error) {
    return failure(error);
  }
}

export async function updateServer(props: Props, fleet: Fleet, key: string, old: { id: string; outs: Props }): Promise<Outcome> {
  try {
    const { outs } = await server.update(old.id, old.outs, serverInputs(props, key, fleet.servers[key]!), { quiet: true });
    return { kind: "ok", id: old.id, outs };
  } catch (error) {
    return failure(error, old);
  }
}

/** A fixed name is freed first (delete, then create); an auto-named server's replacement is made first. */
export async function replaceServer(props: Props, fleet: Fleet, key: string, old: { id: string; outs: Props }): Promise<Outcome> {
  const fixedName = fleet.servers[key]!.autoNamePrefix === undefined;
  // The old server's delete follows the new settings' live-match guard (see live-match.ts).
  planPolicy(old.id, policyOf(fleet.servers[key]!), "replacing");
  if (fixedName || old.id.startsWith(UNRESOLVED_ID_PREFIX)) {
    const deleted = await deleteServer(old);
    if (deleted.kind === "failed") return { ...deleted, kept: old };
    return createServer(props, fleet, key);
  }
  // Refused now, refused after the new server is made: ask first, so none is made for nothing.
  if (effectivePolicy(policyOf(fleet.servers[key]!)) === "refuse") {
    try {
      await guardDelete(
        connect().client,
        old.id,
        serverLabel(old.outs.name, old.id),
        policyOf(fleet.servers[key]!),
        "replacing",
        old.outs.status,
      );
    } catch (error) {
      return { kind: "failed", error: error as Error, kept: old };
    }
  }
  const made = await createServer(props, fleet, key);
  if (made.kind === "failed") {
    // The old server stays this key's; a create whose outcome is unknown keeps its journal
    // entry, so the next run finds whatever its POST made.
    return { ...made, kept: old };
  }
  if (made.kind !== "ok") return made;
  const deleted = await deleteServer(old);
  if (deleted.kind === "failed") {
    // The key can hold one server: keep the old one (the next run replaces it again) and take
    // the new one back, so neither is left outside the state.
    const undone = await deleteServer({ id: made.id, outs: made.outs });
    if (undone.kind === "failed")
      log(
        labelOf(fleet.fleet),
        `${key}: ${made.id} replaces ${old.id}, but neither could be deleted; \`gameservers orphans\` lists ${made.id}`,
      );
    return {
      kind: "failed",
      error: new Error(
        `replacing ${old.id}: deleting it failed (${deleted.error.message}); it stays, and the next \`pulumi up\` replaces it again`,
      ),
      kept: old,
    };
  }
  return made;
}

export async function deleteServer(old: { id: string; outs: Props }): Promise<Outcome> {
  try {
    await server.delete(old.id, old.outs, { quiet: true });
    return { kind: "gone" };
  } catch (error) {
    return { kind: "failed", error: error as Error, kept: old };
  }
}

/** A failed step: the server it leaves in the state (an init failure's, else the old one), if any. */
export function failure(error: unknown, old?: { id: string; outs: Props }): Outcome {
  const e = error as Error & { id?: unknown; properties?: unknown };
  if (typeof e.id === "string" && e.id && isRecord(e.properties))
    return { kind: "failed", error: e, kept: { id: e.id, outs: e.properties } };
  return { kind: "failed", error: e, ...(old ? { kept: old } : {}) };
}

/** A progress line for {@link eachServer}: `GameServerFleet "cup": 250/500 servers created (5 s)`. */
export function progress(fleet: unknown, verb: string): (done: number, of: number, elapsedMs: number) => void {
  return (done, of, elapsedMs) => log(labelOf(fleet), `${done}/${of} servers ${verb} (${Math.round(elapsedMs / 1000)} s)`);
}

/**
 * Runs `step` for every key, reporting every {@link PROGRESS_EVERY_MS} while it lasts (a rate
 * limit spreads 500 creates over 10 s); never rejects. Steps take their turn in {@link turns}.
 */
export async function eachServer(
  keys: string[],
  step: (key: string) => Promise<Outcome>,
  report?: (done: number, of: number, elapsedMs: number) => void,
): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  const started = Date.now();
  const timer = report ? setInterval(() => report(outcomes.size, keys.length, Date.now() - started), PROGRESS_EVERY_MS) : undefined;
  try {
    await Promise.all(
      keys.map((key) =>
        turns.run(async () => {
          try {
            outcomes.set(key, await step(key));
          } catch (error) {
            outcomes.set(key, { kind: "failed", error: error as Error });
          }
        }),
      ),
    );
  } finally {
    clearInterval(timer);
  }
  return outcomes;
}

/**
 * One queue for every fleet part of the provider host, first come first served: the part whose
 * operation started first gets its servers' requests sent first and returns first, so its ids
 * reach the program (which watches them) before the next part's, instead of every part
 * finishing together at the end of a rate-limited run.
 */
const turns = new Limiter(IN_FLIGHT);
