/**
 * Each fleet server's address in the program as soon as that server runs. A resource's outputs
 * reach the program only when its whole operation ends, so through the roster alone a server that
 * ran first would wait for the last. The program watches the servers this run created (read-only,
 * for {@link PROGRAM_WATCH_MS} at most, never in preview) and settles each `fleet.roster[key]`
 * address when the API confirms it running; any other server takes the roster's value.
 */
import * as pulumi from "@pulumi/pulumi";
import type { GameServer, GameServersClient } from "../../sdk/index.js";
import { clientFor, readSettings } from "../core/settings.js";
import { Watcher } from "../core/watcher.js";

/** The program's own client and watcher, shared by every fleet of the program, open while any watch runs. */
interface Connection {
  settings: string;
  client: GameServersClient;
  watcher: Watcher;
  watches: number;
}

let connection: Connection | undefined;
/** Ends every watch of the program (the offline runner's end, a test's). */
let everything = new AbortController();

/** How players reach a server. */
export type Address = Pick<GameServer, "ip" | "port" | "connectUrl">;

/**
 * The program watches a server for this long at most; one that takes longer is the roster's to
 * wait for. It bounds how long the program outlives a deployment that failed elsewhere while it
 * watched (Pulumi's program ends when nothing is left to run). @default 60000 ms
 */
export const PROGRAM_WATCH_MS = 60_000;
/** A server created this long before the program started counts as created by this run (clocks differ). */
const CLOCK_TOLERANCE_MS = 5 * 60_000;
const programStartedAt = Date.now();

/**
 * Whether a server was created by this run (or just before it): only those are watched. The
 * others ran at an earlier `pulumi up`, and their addresses are the roster's, as preview showed.
 */
export function createdThisRun(createdAt: unknown): boolean {
  const at = typeof createdAt === "string" ? Date.parse(createdAt) : Number.NaN;
  return at >= programStartedAt - CLOCK_TOLERANCE_MS;
}

/**
 * The server's address once the API confirms it running; undefined when it ended otherwise,
 * could not be watched (no API key in the program's config), took longer than
 * {@link PROGRAM_WATCH_MS}, or {@link stopWatching} ended it. Never throws.
 */
export async function whenRunning(serverId: string, deadline: number): Promise<Address | undefined> {
  const c = open();
  if (!c) return undefined;
  c.watches++;
  try {
    const outcome = await c.watcher.wait(serverId, {
      deadline: Math.min(deadline, Date.now() + PROGRAM_WATCH_MS),
      signal: everything.signal,
    });
    if (outcome.kind !== "running") return undefined;
    const { ip, port, connectUrl } = outcome.server;
    return { ip, port, connectUrl };
  } catch {
    return undefined;
  } finally {
    if (--c.watches === 0) {
      if (connection === c) connection = undefined;
      // Closing waits for requests in flight; the watcher's loop ends at its next turn.
      void c.client.close().catch(() => undefined);
    }
  }
}

/** Ends every watch in progress: each address then takes the roster's value. */
export function stopWatching(): void {
  everything.abort(new Error("stopped"));
  everything = new AbortController();
}

/** Settles with the output's value, or `undefined` when it fails; never for an output that stays unknown. */
export function settledValue<T>(o: pulumi.Output<T>): Promise<T | undefined> {
  return new Promise((resolve) => {
    pulumi
      .recover(o as pulumi.Output<T | undefined>, () => undefined)
      .apply((value) => {
        resolve(value);
        return value;
      });
  });
}

function open(): Connection | undefined {
  let settings: ReturnType<typeof readSettings>;
  try {
    settings = readSettings((key) => pulumi.runtime.getConfig(`gameservers:${key}`));
  } catch {
    return undefined; // a bad setting: the provider reports it
  }
  if (!settings.apiKey) return undefined;
  const key = JSON.stringify(settings);
  if (connection?.settings === key) return connection;
  const client = clientFor({ ...settings, apiKey: settings.apiKey });
  connection = { settings: key, client, watcher: new Watcher(client, settings.pollIntervalMs), watches: 0 };
  return connection;
}
