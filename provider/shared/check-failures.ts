/** What check() answers the engine for inputs that are not valid, from zod's issues. */
import type { z } from "zod";
import { didYouMean } from "../../sdk/internal/index.js";

/** One invalid input, as the engine shows it: the property and why. */
export interface CheckFailure {
  property: string;
  reason: string;
  /** The dotted path of the value at fault (`configuration.tickrate`), when it is known. */
  path?: string;
}

/** How a resource type's failures name it. */
export interface FailureNaming {
  /** The resource type an unknown input is not one of, e.g. `ServerCommand`. */
  type: string;
  /** Its inputs, listed when an unknown one is given. @default not listed */
  inputs?: readonly string[];
}

/**
 * One failure per issue (an unknown key: one per key), each under the top-level property it
 * concerns, its reason starting with the dotted path (`commands.0 must not be empty`), so a
 * reason always names what it is about.
 */
export function checkFailures(issues: readonly z.core.$ZodIssue[], naming: FailureNaming): CheckFailure[] {
  const failures: CheckFailure[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const property = key === "" ? '""' : key;
        const suggestion = naming.inputs ? didYouMean(key, naming.inputs) : "";
        const listed = naming.inputs && !suggestion ? ` (inputs: ${naming.inputs.join(", ")})` : "";
        failures.push({ property, path: property, reason: `${property} is not an input of ${naming.type}${suggestion}${listed}` });
      }
      continue;
    }
    const path = issue.path.map(String).join(".") || "(inputs)";
    failures.push({ property: String(issue.path[0] ?? "") || "(inputs)", path, reason: `${path} ${issue.message}` });
  }
  return failures;
}
