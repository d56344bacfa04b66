/** What a FleetServers part's change does to each of its servers, and the line that says it. */

import { UNRESOLVED_ID_PREFIX } from "../../../sdk/internal/index.js";
import { type DroppedKey, diffInputs } from "../../game-server/diff.js";
import { isRecord, type Props } from "../../shared/inputs.js";
import { serverInputs, serverOutputs } from "./state.js";

/**
 * The region of a server the fleet's `regions` deal (`spread` in its inputs): the one it had
 * (the inputs the last check returned) while that is still in the list, so that adding, removing,
 * pinning or reordering other servers never moves it, and a stack the older
 * round-robin deployed keeps its servers; else the region the program dealt it. Runs alike in
 * preview and up: the previous inputs are known in both.
 */
export function keptRegion(dealt: unknown, regions: readonly string[], current: unknown): unknown {
  return typeof current === "string" && regions.includes(current) ? current : dealt;
}

export function isRegionList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every((r) => typeof r === "string");
}

/** What each server's change is: created, deleted, replaced, updated (and which settings), or nothing. */
export interface Plan {
  create: string[];
  delete: string[];
  replace: Map<string, string[]>;
  update: Map<string, string[]>;
}

export function plan(olds: Props, news: Props): Plan {
  const result: Plan = { create: [], delete: [], replace: new Map(), update: new Map() };
  const oldServers = (isRecord(olds.servers) ? olds.servers : {}) as Record<string, Props>;
  const newServers = news.servers;
  if (!isRecord(newServers)) return result;
  for (const key of Object.keys(oldServers)) if (!(key in newServers)) result.delete.push(key);
  for (const [key, spec] of Object.entries(newServers)) {
    const old = oldServers[key];
    if (!old) {
      result.create.push(key);
      continue;
    }
    if (!isRecord(spec)) {
      // A preview's unknown: it may change.
      result.update.set(key, ["not known yet"]);
      continue;
    }
    const id = typeof old.id === "string" ? old.id : "";
    if (id.startsWith(UNRESOLVED_ID_PREFIX)) {
      result.replace.set(key, ["status"]);
      continue;
    }
    const { replaces, updates, dropped, configurationChanged } = diffInputs(serverOutputs(olds, key), serverInputs(news, key, spec));
    if (replaces.length > 0) result.replace.set(key, replaces);
    else if (updates.length > 0) {
      // A dropped key is named with what happens to it; "configuration" alone means a declared value changes.
      const named = updates.filter((u) => u !== "declaredConfiguration" && (u !== "configuration" || configurationChanged));
      result.update.set(key, [...named, ...dropped.map(droppedNote)]);
    }
  }
  return result;
}

/** A key a server's program no longer declares, for the plan's line (game-server/diff.ts `describeDropped` says it whole). */
function droppedNote(d: DroppedKey): string {
  return "reset" in d
    ? `configuration.${d.key} back to its default ${JSON.stringify(d.reset)}`
    : `configuration.${d.key} no longer declared: no documented default, the server keeps ${JSON.stringify(d.value)}`;
}

/** Keys for a line: the first 8, then how many more. */
export function list(keys: string[]): string {
  return keys.length > 8 ? `${keys.slice(0, 8).join(", ")} and ${keys.length - 8} more` : keys.join(", ");
}

export function describe(p: Plan): string {
  const parts: string[] = [];
  const detailed = (m: Map<string, string[]>) => list([...m].map(([k, why]) => `${k} (${why.join(", ")})`));
  if (p.create.length) parts.push(`creates ${list(p.create)}`);
  if (p.replace.size) parts.push(`replaces ${detailed(p.replace)}`);
  if (p.update.size) parts.push(`updates ${detailed(p.update)}`);
  if (p.delete.length) parts.push(`deletes ${list(p.delete)}`);
  return `${parts.join("; ")}; every other server is left alone`;
}
