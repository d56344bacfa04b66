import type { GameServer } from "../../sdk/schemas/index.js";

/** A live server as the API lists it: running, with an rcon password; `extra` overrides any field. */
export function server(id: string, name: string, extra: Partial<GameServer> = {}): GameServer {
  return {
    id,
    name,
    gameType: "cs2",
    region: "eu-west-1",
    organizationId: "org_demo",
    status: "running",
    queuedAt: null,
    allocationAttempts: 0,
    lastAllocationError: null,
    ip: null,
    port: null,
    connectUrl: null,
    additionalPorts: null,
    rconPassword: "rcon-secret-1",
    serverPassword: null,
    configuration: {},
    autoStop: false,
    autostopMinutes: null,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    deletedAt: null,
    deletedBy: null,
    ...extra,
  };
}
