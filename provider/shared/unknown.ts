/** Values a preview does not know yet: one fixed string the engine sends, never to reject nor send to the API. */
import { UNKNOWN } from "../../sdk/internal/index.js";

export { UNKNOWN };

/** Does this value, or anything inside it, hold an unknown? */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}
