import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import type { ConsoleSockets } from "./console-socket.js";
import { HttpError } from "./http-error.js";
import { token } from "./ids.js";
import type { ApiKey } from "./keys.js";
import { type Family, ROUTES, type Route } from "./routes.js";
import type { EmulatorState } from "./state.js";

const MAX_BODY_BYTES = 1 << 20;
/** The 404 message of a route that does not exist, in every family (console document, "Error responses"). */
const UNKNOWN_ENDPOINT = "Endpoint not found";

/** The emulator's request handler: everything but the listener and the websocket. */
export function createHandler(state: EmulatorState, sockets: ConsoleSockets, origin: () => string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = `req_${token(9)}`;
    res.setHeader("x-request-id", requestId);
    // The API's own clock (skewable), so clients can measure the skew.
    res.setHeader("date", new Date(state.now()).toUTCString());
    const url = new URL(req.url ?? "/", "http://emulator");
    const method = (req.method ?? "GET").toUpperCase();
    const match = matchRoute(method, url.pathname);
    const family: Family = match.route?.family ?? familyOf(url.pathname);
    if (family !== "control") state.traffic.count(match.route ? `${method} ${match.route.template}` : undefined);
    try {
      if (!match.route) {
        if (match.allowed.length > 0) {
          res.setHeader("allow", match.allowed.join(", "));
          throw new HttpError(405, "METHOD_NOT_ALLOWED", `Method ${method} not allowed on ${url.pathname}`);
        }
        // The console document's wording for an unknown endpoint, the only one either seed gives.
        throw new HttpError(404, "NOT_FOUND", UNKNOWN_ENDPOINT);
      }
      const route = match.route;
      const fault = family === "control" ? undefined : state.traffic.take(method, route.template);
      // The body is read before any delay: a write the API received is carried out even when its
      // client leaves during the delay, as a real API's would be.
      const body = await readJson(req, family);
      if (fault?.delayMs !== undefined) {
        const resets = state.resets;
        await delay(fault.delayMs);
        // A reset in between started a new world: the held request belonged to the old one.
        if (state.resets !== resets) {
          req.socket.destroy();
          return;
        }
      }
      if (fault?.drop) {
        req.socket.destroy();
        return;
      }
      if (fault?.status !== undefined) throw faultError(fault.status, fault);
      let key: ApiKey | undefined;
      if (family !== "control") {
        key = authenticate(state, req, route);
        for (const [name, value] of Object.entries(state.traffic.rateLimit(key.secret, state.config.rateLimitPerSecond))) {
          res.setHeader(name, value);
        }
      }
      state.provisioning.sweepAutoStop();
      const context = { state, sockets, req, params: match.params, query: url.searchParams, body, key: key!, origin: origin() };
      const result = await route.handler(context);
      if (fault?.commitThenFail) throw faultError(502);
      if (fault?.commitThenDelayMs !== undefined) await delay(fault.commitThenDelayMs);
      if (fault?.commitThenDrop) {
        req.socket.destroy();
        return;
      }
      if (fault?.truncatedBody) {
        const text = JSON.stringify(result.body);
        sendText(res, result.status ?? 200, text.slice(0, Math.floor(text.length / 2)));
        return;
      }
      if (fault?.nonJsonBody) {
        sendText(res, result.status ?? 200, "<html><body><h1>Service update in progress</h1></body></html>", "text/html; charset=utf-8");
        return;
      }
      send(res, result.status ?? 200, fault?.rewrite ? rewritten(result.body, fault.rewrite) : result.body);
    } catch (error) {
      // A client that left while its request was read has no one to answer: not an error of ours.
      if (req.destroyed && !(error instanceof HttpError)) return;
      const httpError = error instanceof HttpError ? error : new HttpError(500, "INTERNAL_ERROR", "Internal emulator error");
      if (!(error instanceof HttpError)) console.error(`[emulator] ${requestId}`, error);
      for (const [name, value] of Object.entries(httpError.headers ?? {})) res.setHeader(name, value);
      send(res, httpError.status, errorBody(family, httpError));
    }
  };
}

function authenticate(state: EmulatorState, req: IncomingMessage, route: Route): ApiKey {
  const header = req.headers.authorization;
  const secret = header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
  const key = state.keys.authenticate(secret);
  if (!key)
    throw new HttpError(
      401,
      "UNAUTHORIZED",
      route.family === "console" ? "Missing, invalid, or revoked API key" : "Invalid or missing API key",
    );
  if (route.scopes && !route.scopes.some((s) => key.scopes.has(s))) {
    if (route.family === "console") throw new HttpError(403, "INSUFFICIENT_SCOPE", "Required console or log scope is missing");
    throw new HttpError(403, "FORBIDDEN", `API key is missing the ${route.scopes[route.scopes.length - 1]} scope`);
  }
  return key;
}

/** The console family's documented code and message for each status. */
const CONSOLE_ERRORS: Record<string, [string, string]> = {
  INVALID_PARAMS: ["validation_error", "Invalid JSON body or missing command"],
  UNAUTHORIZED: ["unauthorized", "Missing, invalid, or revoked API key"],
  FORBIDDEN: ["forbidden", "You do not have access to this game server"],
  INSUFFICIENT_SCOPE: ["insufficient_scope", "Required console or log scope is missing"],
  PROVIDER_PERMISSION_DENIED: ["provider_permission_denied", "Console commands are not available for this server"],
  NOT_FOUND: ["not_found", "Endpoint not found"],
  METHOD_NOT_ALLOWED: ["method_not_allowed", "Method not allowed"],
  RATE_LIMITED: ["rate_limited", "Too many requests"],
};

function errorBody(family: Family, error: HttpError): unknown {
  if (family === "console" && error.asGiven) return { success: false, error: error.code, message: error.message };
  if (family === "console") {
    const [code, fallback] = CONSOLE_ERRORS[error.code] ?? ["provider_error", "The console or log request failed"];
    // Validation keeps its field-level message; the rest use the documented wording.
    const message = error.code === "INVALID_PARAMS" || error.code === "NOT_FOUND" ? error.message : fallback;
    return { success: false, error: code, message };
  }
  return { statusCode: error.status, code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
}

function faultError(status: number, fault: { retryAfterSeconds?: number; code?: string; message?: string } = {}): HttpError {
  const codes: Record<number, string> = {
    400: "INVALID_PARAMS",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    429: "RATE_LIMITED",
  };
  const headers = fault.retryAfterSeconds === undefined ? undefined : { "retry-after": String(fault.retryAfterSeconds) };
  return new HttpError(
    status,
    fault.code ?? codes[status] ?? (status >= 500 ? "INTERNAL_ERROR" : "ERROR"),
    fault.message ?? `Injected fault: ${status}`,
    undefined,
    headers,
    fault.code !== undefined || fault.message !== undefined,
  );
}

function familyOf(pathname: string): Family {
  if (pathname.startsWith("/_emulator/")) return "control";
  return pathname.startsWith("/v1/hosting/") ? "console" : "game";
}

function matchRoute(method: string, pathname: string): { route?: Route; params: Record<string, string>; allowed: string[] } {
  const segments = pathname.split("/");
  const allowed: string[] = [];
  for (const route of ROUTES) {
    const params = matchTemplate(route.template, segments);
    if (!params) continue;
    if (route.method === method) return { route, params, allowed };
    if (!allowed.includes(route.method)) allowed.push(route.method);
  }
  return { params: {}, allowed };
}

function matchTemplate(template: string, segments: string[]): Record<string, string> | undefined {
  const parts = template.split("/");
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const seg = segments[i]!;
    if (part.startsWith(":")) {
      if (!seg) return undefined;
      try {
        params[part.slice(1)] = decodeURIComponent(seg);
      } catch {
        return undefined;
      }
    } else if (part !== seg) {
      return undefined;
    }
  }
  return params;
}

async function readJson(req: IncomingMessage, family: Family): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "PAYLOAD_TOO_LARGE", "Request body is larger than 1 MiB");
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(
      400,
      "INVALID_PARAMS",
      family === "console" ? "Invalid JSON body or missing command" : "Request body is not valid JSON",
    );
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, text: string, contentType = "application/json; charset=utf-8"): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** An answer with a `rewrite` fault's fields merged in: into each item of a list, `configuration` key by key. */
function rewritten(body: unknown, fields: Record<string, unknown>): unknown {
  const merge = (value: unknown): unknown => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
    const object = value as Record<string, unknown>;
    const configuration = fields.configuration;
    const mergedConfiguration =
      typeof configuration === "object" && configuration !== null && typeof object.configuration === "object"
        ? { configuration: { ...(object.configuration as object), ...configuration } }
        : {};
    return { ...object, ...fields, ...mergedConfiguration };
  };
  const list = body as { items?: unknown };
  return Array.isArray(list?.items) ? { ...list, items: list.items.map(merge) } : merge(body);
}
