import { formatPath } from "../core/errors.js";
import { ConsoleServerFrame } from "../schemas/console.js";
import { ConsoleFrameError } from "./errors.js";

/**
 * One websocket message as a server frame, or the {@link ConsoleFrameError} that says why it is
 * not one: a stream turns a bad frame into an `error` event and keeps its socket, as openai-node's
 * realtime client does.
 */
export function parseServerFrame(data: unknown): ConsoleServerFrame | ConsoleFrameError {
  if (typeof data !== "string") return new ConsoleFrameError("console frame: a binary frame (frames are JSON text)", "(frame)");
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return new ConsoleFrameError(`console frame: not JSON: ${preview(data)}`, "(frame)");
  }
  const parsed = ConsoleServerFrame.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue ? formatPath(issue.path) : "(frame)";
  return new ConsoleFrameError(`console frame: ${field} ${issue?.message ?? "is invalid"}: ${preview(data)}`, field);
}

/** A Wings JWT's `permissions` claim, or undefined when the token is not such a JWT. */
export function permissionsOfJwt(token: string): string[] | undefined {
  const payload = token.split(".")[1];
  if (token.split(".").length !== 3 || !payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { permissions?: unknown };
    const permissions = claims.permissions;
    return Array.isArray(permissions) && permissions.every((p) => typeof p === "string") ? permissions : undefined;
  } catch {
    return undefined;
  }
}

function preview(text: string): string {
  return text.length > 80 ? `${JSON.stringify(text.slice(0, 80))}...` : JSON.stringify(text);
}
