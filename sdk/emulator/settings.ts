import { z } from "zod";
import { Scope } from "../schemas/index.js";
import { isKnownRegion } from "../schemas/regions.js";

const Capacity = z.record(
  z.string().refine(isKnownRegion, "must be a known AWS region"),
  z.int().min(0, "must be 0 or more").max(1_000_000),
);

/**
 * `PUT /_emulator/config` body: any subset of the settings. Other tools call it as the README's
 * "Control and inspection" section documents it (sdk/emulator/README.md): keep its shape.
 */
export const EmulatorConfigPatch = z.strictObject({
  /** Servers a region can hold at once, per region; others keep their current capacity. */
  capacity: Capacity.optional(),
  /** Period of the background allocation job, in ms. @default 30000 */
  queueIntervalMs: z.int().min(1).max(3_600_000).optional(),
  /** Failed allocation attempts before a queued server is `failed`. @default 3 */
  maxAllocationAttempts: z.int().min(1).max(100).optional(),
  /** Time from allocation to `running` (half `allocating`, half `starting`), in ms. @default 0 */
  bootDelayMs: z.int().min(0).max(3_600_000).optional(),
  /** Lifetime of a console websocket token, in ms. @default 600000 */
  tokenTtlMs: z.int().min(10).max(86_400_000).optional(),
  /** Requests per second per API key before 429, or null for no limit. @default null */
  rateLimitPerSecond: z.int().min(1).max(1_000_000).nullable().optional(),
  /** Speed of the emulated clock (timestamps, idle time for autoStop). @default 1 */
  clockScale: z.number().positive().max(1_000_000).optional(),
  /**
   * Skew of the API's clock against the real one, in ms (negative: the API is behind). Applies
   * to every timestamp and to the `Date` header. @default 0
   */
  clockOffsetMs: z.int().min(-86_400_000).max(86_400_000).optional(),
  /**
   * Fields no document describes, added to every server the API answers with (top level) and to
   * its `configuration`: what a newer API adds over time. A real field of the same name wins.
   * @default { server: {}, configuration: {} }
   */
  extraFields: z
    .strictObject({
      server: z.record(z.string(), z.json()).optional(),
      configuration: z.record(z.string(), z.json()).optional(),
    })
    .optional(),
});
export type EmulatorConfigPatch = z.infer<typeof EmulatorConfigPatch>;

/** The emulator's settings, all set. */
export interface EmulatorConfig {
  capacity: Record<string, number>;
  defaultCapacity: number;
  queueIntervalMs: number;
  maxAllocationAttempts: number;
  bootDelayMs: number;
  tokenTtlMs: number;
  rateLimitPerSecond: number | null;
  clockScale: number;
  clockOffsetMs: number;
  extraFields: { server?: Record<string, unknown>; configuration?: Record<string, unknown> };
}

/** Capacity of a region nobody configured: generous, so creates succeed unless a test says otherwise. */
export const DEFAULT_REGION_CAPACITY = 1000;

export function defaultConfig(): EmulatorConfig {
  return {
    capacity: {},
    defaultCapacity: DEFAULT_REGION_CAPACITY,
    queueIntervalMs: 30_000,
    maxAllocationAttempts: 3,
    bootDelayMs: 0,
    tokenTtlMs: 600_000,
    rateLimitPerSecond: null,
    clockScale: 1,
    clockOffsetMs: 0,
    extraFields: {},
  };
}

/** `POST /_emulator/keys` body. */
export const CreateKeyRequest = z.strictObject({
  organizationId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be an organization id such as org_demo"),
  scopes: z.array(Scope).max(10),
});

/** `POST /_emulator/keys/revoke` body. */
export const RevokeKeyRequest = z.strictObject({ apiKey: z.string().min(1) });

/** The failure kinds of a fault: a fault sets exactly one. */
const FAULT_KINDS = [
  "status",
  "delayMs",
  "drop",
  "commitThenFail",
  "commitThenDrop",
  "commitThenDelayMs",
  "truncatedBody",
  "nonJsonBody",
  "rewrite",
] as const;

/** `POST /_emulator/faults` body: exactly one failure kind. */
export const FaultRequest = z
  .strictObject({
    method: z
      .string()
      .regex(/^[A-Za-z]+$/)
      .transform((m) => m.toUpperCase()),
    route: z.string().startsWith("/", "must be a route template such as /v1/game-servers/:id"),
    times: z.int().min(1).max(1_000_000).default(1),
    /** Answer this status without doing anything. */
    status: z.int().min(400).max(599).optional(),
    /** With `status`: the `Retry-After` header, in seconds. */
    retryAfterSeconds: z.int().min(0).max(3600).optional(),
    /** With `status`: the error's `code` (`provider_permission_denied`, ...). @default one for the status */
    code: z.string().min(1).max(100).optional(),
    /** With `status`: the error's `message`. @default `Injected fault: <status>` */
    message: z.string().min(1).max(1000).optional(),
    /** Wait, then serve normally: past the client's timeout this is a write applied after the client gave up. */
    delayMs: z.int().min(0).max(600_000).optional(),
    /** Close the connection without doing anything or answering. */
    drop: z.literal(true).optional(),
    /** Perform the operation, then answer 502: a lost response. */
    commitThenFail: z.literal(true).optional(),
    /** Perform the operation, then close the connection without an answer. */
    commitThenDrop: z.literal(true).optional(),
    /** Perform the operation, then answer only after this many ms: a response slower than the client's timeout. */
    commitThenDelayMs: z.int().min(0).max(600_000).optional(),
    /** Perform the operation, then answer its status with the body cut in half (not JSON). */
    truncatedBody: z.literal(true).optional(),
    /** Perform the operation, then answer its status with an HTML page instead of JSON (a proxy's page). */
    nonJsonBody: z.literal(true).optional(),
    /**
     * Perform the operation, then answer with these fields merged into the answer (into each item of
     * a list; `configuration` key by key): unknown values, extra fields, keys the server filled in,
     * or values that break the documented schema. The server itself is unchanged.
     */
    rewrite: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((f) => FAULT_KINDS.filter((k) => f[k] !== undefined).length === 1, `must set exactly one of ${FAULT_KINDS.join(", ")}`)
  .refine(
    (f) => (f.retryAfterSeconds === undefined && f.code === undefined && f.message === undefined) || f.status !== undefined,
    "retryAfterSeconds, code and message go with status",
  );
export type Fault = z.infer<typeof FaultRequest>;
