/**
 * Which fleet server a ServerCommand is sent to, for its lines: a fleet registers each server's
 * `serverId` output (`fleet.servers[key].serverId`) under its fleet and key, and a ServerCommand
 * given that very output says `winter-cup/final-1 (srv_...)` instead of the id alone. It only
 * labels: nothing here reaches the API, and ServerCommand's diff compares none of it.
 */

/** A fleet server, as its program names it. */
export interface FleetKey {
  /** The fleet's name. */
  fleet: string;
  /** The server's key in the fleet. */
  key: string;
}

/** Keyed by the output object itself: an output derived from it (`apply`) is another server's id as far as this knows. */
const members = new WeakMap<object, FleetKey>();

/** Records that `serverId` (a fleet member's output) is the server of `key` in `fleet`. */
export function nameFleetMember(serverId: object, fleet: string, key: string): void {
  members.set(serverId, { fleet, key });
}

/** The fleet and key of a `serverId` a fleet gave, or undefined for any other value. */
export function fleetMemberOf(serverId: unknown): FleetKey | undefined {
  return typeof serverId === "object" && serverId !== null ? members.get(serverId) : undefined;
}

/**
 * The hidden input that names a ServerCommand for its lines: `{ name, fleet?, key? }`, its
 * resource name, and the fleet and key of its server when a fleet gave its `serverId`. Only a
 * label: diff ignores it, so a stack written before it shows no change (see handlers.ts).
 */
export const LABEL_INPUT = "__label";

/** What {@link LABEL_INPUT} holds. */
export interface CommandLabel extends Partial<FleetKey> {
  /** The ServerCommand's resource name. */
  name: string;
}
