/**
 * Values a preview does not know yet. The engine sends each as one fixed string, in check, diff
 * and a preview's outputs; a provider must never reject one or call the API with it.
 */
import { UNKNOWN } from "../../sdk/internal/index.js";

export { UNKNOWN };

/** Does this value, or anything inside it, hold an unknown? */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}
