import type { z } from "zod";

/**
 * An invalid option of `startEmulator`, in one line that names the option, the reason and the
 * value given: `startEmulator: queueIntervalMs must be at least 1 (got 0)`. A credential is never
 * echoed.
 */
export class EmulatorOptionError extends Error {
  override name = "EmulatorOptionError";
  /** The option, as `startEmulator` names it (`capacity.eu-west-1` for a part of one). */
  readonly option: string;
  /** Why it is refused, and the value given: `must be at least 1 (got 0)`. */
  readonly reason: string;
  constructor(option: string, reason: string, value: unknown) {
    const got = value === undefined ? "" : ` (got ${JSON.stringify(value) ?? String(value)})`;
    super(`startEmulator: ${option} ${reason}${got}`);
    this.option = option;
    this.reason = `${reason}${got}`;
  }
}

/** One zod issue of the settings as one line: which option, why, and the value given. */
export function optionError(issue: z.core.$ZodIssue, settings: Record<string, unknown>): EmulatorOptionError {
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "?";
    return new EmulatorOptionError(key, "is not an option of startEmulator (see EmulatorOptions)", undefined);
  }
  const option = String(issue.path[0] ?? "?");
  const where = issue.path.slice(1).join(".");
  let value: unknown = settings[option];
  for (const key of issue.path.slice(1)) value = (value as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey];
  let reason: string;
  if (issue.code === "too_small") reason = `must be ${issue.inclusive ? "at least" : "more than"} ${issue.minimum}`;
  else if (issue.code === "too_big") reason = `must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}`;
  else if (issue.code === "invalid_type") reason = issue.expected === "int" ? "must be a whole number" : `must be a ${issue.expected}`;
  else if (issue.code === "invalid_key") {
    reason = `has an invalid key ${JSON.stringify(where)}: ${issue.issues[0]?.message ?? issue.message}`;
    return new EmulatorOptionError(option, reason, undefined);
  } else reason = issue.message;
  // A custom message ("must be 0 or more") is kept; zod's own ("Too small: ...") is replaced above.
  if (issue.code === "too_small" && !issue.message.startsWith("Too small")) reason = issue.message;
  return new EmulatorOptionError(where ? `${option}.${where}` : option, reason, value);
}
