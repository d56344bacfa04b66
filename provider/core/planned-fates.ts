/**
 * What the diffs of this deployment decided for each server, by its id: kept (unchanged or
 * updated in place) or not (replaced, deleted). The provider host runs every dynamic resource of
 * a deployment in one process, and a resource that takes a server's id (a ServerCommand, the
 * fleet's roster) is diffed after the resource that holds the server.
 *
 * It matters in a preview: there the engine gives an updated resource of a dynamic provider its
 * new inputs as outputs (the host has no preview of an update), so a server's id reaches the
 * resources that take it as unknown, and only this says whether it will stay the same.
 * Importing this module reads nothing and starts nothing.
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
