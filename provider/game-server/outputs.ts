/** What a GameServer's state holds: its outputs, and the inputs a refresh reads back from them. */
import { CS2_SECRET_KEYS, type GameServer } from "../../sdk/schemas/index.js";
import { STACK_INPUT } from "../shared/inputs.js";
import type { ProviderInputs } from "./inputs.js";

/** Outputs as the provider writes them to state: everything a later call needs, no undefined. */
export type ProviderOutputs = ReturnType<typeof toOutputs>;

/** The configuration as compared: no password keys, no undefined members. */
export function comparableConfiguration(cfg: unknown): Record<string, unknown> {
  if (!cfg || typeof cfg !== "object") return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) {
    if (v !== undefined && !CS2_SECRET_KEYS.includes(k)) out[k] = v;
  }
  return out;
}

/**
 * The configuration keys the program declared when these outputs were written. States written
 * before the record existed are read as having declared every stored key: the emulator then
 * filled in nothing, so they hold exactly what was sent (and a stored key whose value is the
 * documented default needs nothing anyway, see {@link diffInputs}).
 */
export function declaredKeysOf(outputs: Record<string, unknown>): string[] {
  const record = outputs.declaredConfiguration;
  if (Array.isArray(record) && record.every((k) => typeof k === "string")) return record;
  return Object.keys(comparableConfiguration(outputs.configuration));
}

/** The part of the stored configuration the program declared, values as the server reports them. */
export function declaredConfigurationOf(outputs: Record<string, unknown>): Record<string, unknown> {
  const stored = comparableConfiguration(outputs.configuration);
  return Object.fromEntries(
    declaredKeysOf(outputs)
      .filter((k) => k in stored)
      .map((k) => [k, stored[k]]),
  );
}

/**
 * The complete output set for state. Passwords are included (the resource marks them secret);
 * `passwords: false` leaves them null, for states the engine may store before secrets apply.
 */
export function toOutputs(server: GameServer, inputs: ProviderInputs, options: { passwords?: boolean } = {}) {
  const passwords = options.passwords ?? true;
  return {
    serverId: server.id,
    name: server.name,
    gameType: server.gameType,
    region: server.region,
    organizationId: server.organizationId,
    status: server.status,
    ip: server.ip,
    port: server.port,
    connectUrl: server.connectUrl,
    additionalPorts: server.additionalPorts,
    rconPassword: passwords ? server.rconPassword : null,
    serverPassword: passwords ? server.serverPassword : null,
    configuration: comparableConfiguration(server.configuration),
    // Which of those keys the program declared: the others are the API's, never a change.
    declaredConfiguration: Object.keys(comparableConfiguration(inputs.configuration)).sort(),
    autoStop: server.autoStop,
    autostopMinutes: server.autostopMinutes,
    queuedAt: server.queuedAt,
    allocationAttempts: server.allocationAttempts,
    lastAllocationError: server.lastAllocationError,
    createdAt: server.createdAt,
    updatedAt: server.updatedAt,
    waitForRunning: inputs.waitForRunning,
    readyTimeoutSeconds: inputs.readyTimeoutSeconds,
    // The live-match guard's settings: delete reads them from the state. Unset ones are left out.
    ...(inputs.whenPlayersConnected !== undefined ? { whenPlayersConnected: inputs.whenPlayersConnected } : {}),
    ...(inputs.drainTimeoutSeconds !== undefined ? { drainTimeoutSeconds: inputs.drainTimeoutSeconds } : {}),
    ...(inputs.drainAnnouncement !== undefined ? { drainAnnouncement: inputs.drainAnnouncement } : {}),
    ...(inputs.autoNamePrefix !== undefined ? { autoNamePrefix: inputs.autoNamePrefix } : {}),
    ...(inputs.stack !== undefined ? { [STACK_INPUT]: inputs.stack } : {}),
  };
}

/**
 * The inputs that match what the server now is, for read() on refresh: the next preview then
 * shows drift as a diff against the program. Passwords are never returned as inputs (they would
 * reach state unmarked); diff compares them against the outputs instead. The configuration holds
 * only the keys the program declared (with the server's values): what the API filled in is not
 * the user's.
 */
export function inputsFromOutputs(outputs: ProviderOutputs): Record<string, unknown> {
  const inputs: Record<string, unknown> = {
    name: outputs.name,
    gameType: outputs.gameType,
    region: outputs.region,
    configuration: declaredConfigurationOf(outputs),
    autoStop: outputs.autoStop,
    waitForRunning: outputs.waitForRunning,
    readyTimeoutSeconds: outputs.readyTimeoutSeconds,
  };
  if (outputs.autostopMinutes !== null) inputs.autostopMinutes = outputs.autostopMinutes;
  if (outputs.autoNamePrefix !== undefined) inputs.autoNamePrefix = outputs.autoNamePrefix;
  for (const key of ["whenPlayersConnected", "drainTimeoutSeconds", "drainAnnouncement"] as const) {
    if (outputs[key] !== undefined) inputs[key] = outputs[key];
  }
  if (outputs[STACK_INPUT] !== undefined) inputs[STACK_INPUT] = outputs[STACK_INPUT];
  return inputs;
}
