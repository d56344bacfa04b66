import type { z } from "zod";

/** A failure the HTTP layer renders in the route family's documented error format. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    /** Game servers API code; the console family maps it to its own code. */
    readonly code: string,
    message: string,
    readonly details?: { path: string; message: string }[],
    readonly headers?: Record<string, string>,
    /** Send `code` and the message as they are, in either family (a fault that names them). */
    readonly asGiven = false,
  ) {
    super(message);
  }
}

/** 400 INVALID_PARAMS naming every bad field, prefixed with `prefix` when given. */
export function invalid(issues: readonly z.core.$ZodIssue[], prefix?: string): HttpError {
  const details = issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].filter((p) => p !== undefined && p !== "").join(".");
    return { path: path || "(body)", message: i.message };
  });
  const first = details[0];
  return new HttpError(400, "INVALID_PARAMS", first ? `${first.path} ${first.message}` : "Invalid request", details);
}
