/**
 * What this deployment's diffs decided for each server (kept, or replaced/deleted) and each fleet
 * part, for the resources diffed after them in the same host process. In a preview the engine
 * gives an updated dynamic resource its new inputs as outputs, so a server's id arrives unknown
 * and only this says whether it stays. Importing this module starts nothing.
 */

export type ServerFate = "kept" | "replaced";

const fates = new Map<string, ServerFate>();

/** Records what a diff decided for the server `id` (ignored for an empty or non-string id). */
export function planServer(id: unknown, fate: ServerFate): void {
  if (typeof id === "string" && id) fates.set(id, fate);
}

/** What a diff of this deployment decided for the server `id`, if one did. */
export function plannedFate(id: unknown): ServerFate | undefined {
  return typeof id === "string" ? fates.get(id) : undefined;
}

const parts = new Map<string, boolean>();

/**
 * Records what a fleet part's diff decided: whether the servers it holds change (one created,
 * replaced or deleted), beyond settings updated in place. The roster's diff reads it in a
 * preview, where its list of servers arrives unknown.
 */
export function planPart(id: unknown, membersChange: boolean): void {
  if (typeof id === "string" && id) parts.set(id, membersChange);
}

/** Whether a diff of this deployment found the part `id`'s servers changing; undefined when none ran. */
export function plannedPartChange(id: unknown): boolean | undefined {
  return typeof id === "string" ? parts.get(id) : undefined;
}
