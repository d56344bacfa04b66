/** How a wait for a server ends, and which errors a poll may shrug off. */
import { type GameServer, type GameServerStatus, InvalidResponseError } from "../../sdk/index.js";
import { isTransientError } from "../../sdk/internal/index.js";
import { TERMINAL_STATUSES } from "../../sdk/schemas/index.js";

/** How a wait ended. */
export type WaitOutcome =
  | { kind: "running"; server: GameServer }
  | { kind: "failed"; server: GameServer }
  | { kind: "timeout"; server: GameServer | undefined; lastStatus: GameServerStatus }
  | { kind: "gone" };

/** How a wait ends on reading its server this way, if it does: running, failed (or stopped) or gone; not when unread. */
export function settledBy(server: GameServer | "gone" | undefined): WaitOutcome | undefined {
  if (server === undefined) return undefined;
  if (server === "gone" || server.deletedAt !== null) return { kind: "gone" };
  if (server.status === "running") return { kind: "running", server };
  if (TERMINAL_STATUSES.includes(server.status)) return { kind: "failed", server };
  return undefined;
}

/** A poll that failed this way may work next time: transient errors, and a garbled read. */
export function pollMayRecover(error: unknown): boolean {
  return isTransientError(error) || error instanceof InvalidResponseError;
}
