import { randomBytes } from "node:crypto";

/** Random URL-safe id material: `bytes` random bytes, base64url. */
export function token(bytes: number): string {
  return randomBytes(bytes).toString("base64url");
}
