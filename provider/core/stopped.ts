/**
 * What the provider says of a server the platform stopped. The API stops a
 * server with `autoStop` after `autostopMinutes` idle and documents no call that starts it again
 * (game servers API: list, get, create, update, delete, events); a stopped server keeps its id
 * but has no address. That is the platform's documented behaviour, so it never fails a run: every
 * operation that learns of it says so instead, a line per server, with the way out.
 */

/** The status of a server the platform stopped. */
export const STOPPED = "stopped";

/** What the state or the API says of a server, as far as a stopped server's line needs it. */
export interface StopFacts {
  status?: unknown;
  autoStop?: unknown;
  autostopMinutes?: unknown;
  updatedAt?: unknown;
}

export function isStopped(server: StopFacts | undefined): boolean {
  return server?.status === STOPPED;
}

/**
 * Why and since when, as far as the API says: it reports no stop time, only its last change
 * (`updatedAt`), which the stop sets. E.g. `autoStop after 45 idle minutes; last change reported
 * by the API 2025-03-01T10:00:00.000Z`.
 */
export function stopFacts(server: StopFacts): string {
  const why =
    server.autoStop === true
      ? `autoStop after ${typeof server.autostopMinutes === "number" ? server.autostopMinutes : "its"} idle minutes`
      : "its autoStop is off: the API does not say why";
  return typeof server.updatedAt === "string" ? `${why}; last change reported by the API ${server.updatedAt}` : why;
}

/**
 * What to do about a stopped server: the API has no start call, so only a new server brings the
 * game back (a new id and address); what keeps the others running is autoStop's settings.
 */
const KEEP_OTHERS =
  "To keep servers from stopping through the event, set `autoStop: false` or a larger `autostopMinutes` (up to 1440 idle minutes) and `pulumi up`.";

/** What a GameServer's line says after its label: `stopped (...): ...`, with the way out. */
export function describeStoppedServer(server: StopFacts, from: "api" | "state"): string {
  const seen = from === "state" ? ", as the stack last read it" : "";
  return (
    `stopped${seen} (${stopFacts(server)}): nobody can join it and it has no connectUrl. ` +
    "The API has no start call: only a new server (a new id and connectUrl) brings the game back. " +
    "`pulumi up --replace <urn>` replaces this one (`pulumi stack --show-urns` lists the URNs), or set " +
    `\`replaceIfStopped: true\` on it and \`pulumi up --refresh\` replaces it. ${KEEP_OTHERS}`
  );
}

/** What a fleet's line says of one of its servers, by key: `final (srv_..., "cup-final-1a2b3c4") is stopped (...)`. */
export function describeStoppedMember(
  key: string,
  server: StopFacts & { serverId?: unknown; name?: unknown },
  from: "api" | "state",
): string {
  const id = typeof server.serverId === "string" ? server.serverId : "?";
  const name = typeof server.name === "string" ? `, "${server.name}"` : "";
  const seen = from === "state" ? ", as the stack last read it" : "";
  return `${key} (${id}${name}) is stopped${seen} (${stopFacts(server)})`;
}

/** What the fleet's line says after its stopped servers' own: how many, which keys, and the way out. */
export function describeStoppedFleet(keys: string[]): string {
  const shown = keys.length > 8 ? `${keys.slice(0, 8).join(", ")} and ${keys.length - 8} more` : keys.join(", ");
  const them = keys.length === 1 ? "it" : "them";
  return (
    `${keys.length} server${keys.length === 1 ? "" : "s"} stopped (${shown}): nobody can join ${them} (no connectUrl). ` +
    "The API has no start call: only a new server " +
    "(a new id and connectUrl) brings the game back. Set `replaceIfStopped: true` on those servers (or in `defaults`) " +
    `and \`pulumi up --refresh\` replaces each stopped one, and only those. ${KEEP_OTHERS}`
  );
}
