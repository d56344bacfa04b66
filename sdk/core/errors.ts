import type { z } from "zod";
import { ConsoleErrorBody, GameServersErrorBody } from "../schemas/index.js";

/** Base of every error this SDK throws. */
export class GameServersError extends Error {
  override name = "GameServersError";
}

/** Response headers as a plain object with lowercase names. */
export type ResponseHeaders = Record<string, string>;

/**
 * The API answered with an error status. `code` is the documented code of either API:
 * `NOT_FOUND`, `INVALID_PARAMS`, ... for game servers; `insufficient_scope`, `provider_error`, ...
 * for console and logs.
 */
export class APIError extends GameServersError {
  override name = "APIError";
  /** HTTP status. */
  readonly status: number;
  /** The documented error code, or `unknown_error` when the body carried none. */
  readonly code: string;
  /** The `x-request-id` header of the failed response, for support requests. */
  readonly requestId: string | undefined;
  /** The parsed error body, when it was JSON. */
  readonly body: unknown;
  /** The failed response's headers. */
  readonly headers: ResponseHeaders;

  constructor(status: number, code: string, message: string, requestId: string | undefined, body: unknown, headers: ResponseHeaders) {
    super(`${status} ${code}: ${message}${requestId ? ` (request ${requestId})` : ""}`);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.body = body;
    this.headers = headers;
  }
}

/** 400: the request was refused as invalid (`INVALID_PARAMS`, `validation_error`). */
export class BadRequestError extends APIError {
  override name = "BadRequestError";
}
/** 401: the API key is missing, invalid or revoked. */
export class AuthenticationError extends APIError {
  override name = "AuthenticationError";
}
/** 403: the key may not do this (another organization's server, a missing scope). */
export class PermissionDeniedError extends APIError {
  override name = "PermissionDeniedError";
}
/** 403 `insufficient_scope`: the key lacks the scope in {@link requiredScope}. */
export class InsufficientScopeError extends PermissionDeniedError {
  override name = "InsufficientScopeError";
  /** The scope the endpoint requires (from the console document's scope table). */
  readonly requiredScope: string | undefined;
  constructor(...args: [...ConstructorParameters<typeof APIError>, requiredScope: string | undefined]) {
    const [status, code, message, requestId, body, headers, requiredScope] = args;
    super(status, code, requiredScope ? `${message} (requires ${requiredScope})` : message, requestId, body, headers);
    this.requiredScope = requiredScope;
  }
}
/** 403 `provider_permission_denied`: console commands are not available for this server. */
export class ProviderPermissionDeniedError extends PermissionDeniedError {
  override name = "ProviderPermissionDeniedError";
}
/** 404: no such server (or route). */
export class NotFoundError extends APIError {
  override name = "NotFoundError";
}
/** 405: the route does not take this method. */
export class MethodNotAllowedError extends APIError {
  override name = "MethodNotAllowedError";
}
/** 409: the request conflicts with the current state of its server. */
export class ConflictError extends APIError {
  override name = "ConflictError";
}
/** 429: too many requests, still refused when the call's deadline came (the client retries until then). */
export class RateLimitError extends APIError {
  override name = "RateLimitError";
}
/** 5xx: the API failed. */
export class InternalServerError extends APIError {
  override name = "InternalServerError";
}
/** 502 `provider_error`: the console or log request failed upstream. */
export class ProviderError extends InternalServerError {
  override name = "ProviderError";
}

/** The request never got a response: DNS, refused or reset connection, TLS. */
export class APIConnectionError extends GameServersError {
  override name = "APIConnectionError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
/** No response within the request timeout. */
export class APIConnectionTimeoutError extends APIConnectionError {
  override name = "APIConnectionTimeoutError";
}
/** The caller's AbortSignal fired. */
export class APIUserAbortError extends GameServersError {
  override name = "APIUserAbortError";
  constructor(message = "Request was aborted", options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A non-idempotent request (a create, a console command) may have reached the server but its
 * outcome is unknown: the connection dropped, it timed out, or the answer was a 5xx. It was not
 * retried, because repeating it could act twice. Reconcile before trying again (the provider
 * looks the server up by its unique name).
 */
export class AmbiguousRequestError extends GameServersError {
  override name = "AmbiguousRequestError";
  readonly method: string;
  readonly path: string;
  constructor(method: string, path: string, cause: Error) {
    super(`${method} ${path} may or may not have taken effect: ${cause.message}`, { cause });
    this.method = method;
    this.path = path;
  }
}

/** A response body broke its documented schema. `field` names the first offending field. */
export class InvalidResponseError extends GameServersError {
  override name = "InvalidResponseError";
  readonly field: string;
  readonly requestId: string | undefined;
  constructor(what: string, issues: readonly z.core.$ZodIssue[], requestId: string | undefined) {
    const first = issues[0];
    const field = first ? formatPath(first.path) : "(body)";
    super(`${what}: response field ${field} ${first?.message ?? "is invalid"}${requestId ? ` (request ${requestId})` : ""}`);
    this.field = field;
    this.requestId = requestId;
  }
}

/** One invalid field of a request. */
export interface FieldIssue {
  /** Dotted path of the field, e.g. `configuration.startingMap`. */
  path: string;
  message: string;
}

/** A request failed local validation; nothing was sent. */
export class RequestValidationError extends GameServersError {
  override name = "RequestValidationError";
  readonly issues: FieldIssue[];
  constructor(what: string, issues: readonly z.core.$ZodIssue[]) {
    const list = issuesToFields(issues);
    super(`${what}: ${list.map((i) => `${i.path} ${i.message}`).join("; ")}`);
    this.issues = list;
  }
}

/** A server reached a status from which it will not become `running` (failed, error, stopped). */
export class ServerFailedError extends GameServersError {
  override name = "ServerFailedError";
  readonly serverId: string;
  readonly status: string;
  readonly lastAllocationError: string | null;
  readonly allocationAttempts: number;
  constructor(serverId: string, status: string, lastAllocationError: string | null, allocationAttempts: number) {
    super(
      `Game server ${serverId} is ${status} after ${allocationAttempts} allocation attempt${allocationAttempts === 1 ? "" : "s"}` +
        (lastAllocationError ? `: ${lastAllocationError}` : ""),
    );
    this.serverId = serverId;
    this.status = status;
    this.lastAllocationError = lastAllocationError;
    this.allocationAttempts = allocationAttempts;
  }
}

/** A wait passed its deadline while the server was still in progress. */
export class WaitTimeoutError extends GameServersError {
  override name = "WaitTimeoutError";
  readonly serverId: string;
  readonly lastStatus: string;
  readonly elapsedMs: number;
  constructor(serverId: string, lastStatus: string, elapsedMs: number) {
    super(`Game server ${serverId} is still ${lastStatus} after ${Math.round(elapsedMs / 1000)} s (deadline passed)`);
    this.serverId = serverId;
    this.lastStatus = lastStatus;
    this.elapsedMs = elapsedMs;
  }
}

/**
 * Might the same request succeed if tried again later? Connection failures, timeouts, 429 and
 * 5xx: yes. Everything else (4xx, validation, aborts): no.
 */
export function isTransientError(error: unknown): boolean {
  if (error instanceof APIConnectionError) return true;
  return error instanceof APIError && (error.status === 429 || error.status >= 500);
}

/** `a.b[2].c` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(body)";
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}

/** zod issues as `{ path, message }`, one per issue. */
export function issuesToFields(issues: readonly z.core.$ZodIssue[]): FieldIssue[] {
  return issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
}

/** The error body of either API, normalised, or undefined when it is neither. */
export function parseErrorBody(body: unknown): { code: string; message: string } | undefined {
  const consoleBody = ConsoleErrorBody.safeParse(body);
  if (consoleBody.success) return { code: consoleBody.data.error, message: consoleBody.data.message };
  const gameBody = GameServersErrorBody.safeParse(body);
  if (gameBody.success) return { code: gameBody.data.code, message: gameBody.data.message };
  return undefined;
}

/** The one factory from an error response to its class. */
export function makeAPIError(status: number, body: unknown, headers: ResponseHeaders, requiredScope?: string): APIError {
  const parsed = parseErrorBody(body);
  const code = parsed?.code ?? "unknown_error";
  const message = parsed?.message ?? (typeof body === "string" && body ? body.slice(0, 200) : "no error message");
  const requestId = headers["x-request-id"];
  const args = [status, code, message, requestId, body, headers] as const;
  switch (status) {
    case 400:
      return new BadRequestError(...args);
    case 401:
      return new AuthenticationError(...args);
    case 403: {
      if (code === "insufficient_scope") return new InsufficientScopeError(...args, requiredScope);
      if (code === "provider_permission_denied") return new ProviderPermissionDeniedError(...args);
      return new PermissionDeniedError(...args);
    }
    case 404:
      return new NotFoundError(...args);
    case 405:
      return new MethodNotAllowedError(...args);
    case 409:
      return new ConflictError(...args);
    case 429:
      return new RateLimitError(...args);
    default:
      if (status === 502 && code === "provider_error") return new ProviderError(...args);
      if (status >= 500) return new InternalServerError(...args);
      return new APIError(...args);
  }
}
