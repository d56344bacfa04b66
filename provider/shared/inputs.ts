/** Inputs and values every resource type shares. Constants and helpers only. */

/** Inputs and outputs as the engine passes them. */
export type Props = Record<string, unknown>;

/**
 * The hidden input that names the program's stack, `<organization>/<project>/<stack>`: the
 * resource classes set it, and the create journal keeps each stack's entries apart by it.
 */
export const STACK_INPUT = "__stack";

/** The ready deadline when none is given: ten minutes from the create (or resumed update). @default 600 s */
export const DEFAULT_READY_TIMEOUT_SECONDS = 600;

/**
 * How long after its POST a create whose client left may still land: an API carries out a
 * write it received even when its sender died or gave up. Waited for before a create is
 * taken to have made nothing. @default 5000 ms
 */
export const LATE_WRITE_MS = 5_000;

/** A plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
