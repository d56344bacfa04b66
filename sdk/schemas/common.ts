import { z } from "zod";

/** ISO 8601 timestamp as the API sends it (`2026-11-23T07:47:09.123Z`). */
export const Timestamp = z.string().min(1);

/**
 * AWS-style region code (`us-east-1`, `eu-central-2`). The SDK checks only the shape so a
 * region launched after this release still works; the API decides which regions exist.
 */
export const RegionCode = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, "must be an AWS region code such as us-east-1");

/** Game type slug (`cs2`). */
export const GameType = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "must be a lowercase game type slug such as cs2");

/** Server display name: 1 to 100 printable characters. */
export const ServerName = z
  .string()
  .min(1, "must not be empty")
  .max(100, "must be at most 100 characters")
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  .regex(/^[^\u0000-\u001f\u007f]+$/, "must not contain control characters")
  .refine((s) => s.trim() === s, "must not start or end with whitespace");

/** Server id as issued by the API (`srv_...`). Opaque: only checked to be a safe path segment. */
export const ServerId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.-]+$/, "must be a server id such as srv_123")
  // A lone `.` or `..` is a valid character run but a path traversal once in a URL.
  .refine((s) => s !== "." && s !== "..", "must be a server id such as srv_123, not a relative path segment");

/** The documented scopes an API key can carry. Game server scopes are our choice (the seed names none). */
export const Scope = z.enum(["game-servers:read", "game-servers:write", "game-console:read", "game-console:read_write", "game-logs:read"]);
export type Scope = z.infer<typeof Scope>;
