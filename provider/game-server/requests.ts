/** The bodies a GameServer's create and update send the API. */
import { randomBytes } from "node:crypto";
import type { GameServersClient } from "../../sdk/index.js";
import type { ProviderInputs } from "./inputs.js";

export function createBody(inputs: ProviderInputs) {
  const configuration = passwordPatch(inputs, inputs.configuration);
  // The API requires a CS2 RCON password: a program that gives none gets a strong one.
  if (inputs.gameType === "cs2" && configuration.rconPassword === undefined) configuration.rconPassword = generatePassword();
  return {
    name: inputs.name,
    gameType: inputs.gameType,
    region: inputs.region,
    configuration,
    ...stopSettings(inputs),
  } as Parameters<GameServersClient["gameServers"]["create"]>[0];
}

/** `autoStop` and `autostopMinutes` as declared; unset ones are left to the API's defaults. */
export function stopSettings(inputs: ProviderInputs): { autoStop?: boolean; autostopMinutes?: number } {
  return {
    ...(inputs.autoStop !== undefined ? { autoStop: inputs.autoStop } : {}),
    ...(inputs.autostopMinutes !== undefined ? { autostopMinutes: inputs.autostopMinutes } : {}),
  };
}

export function passwordPatch(inputs: ProviderInputs, configuration: Record<string, unknown>): Record<string, unknown> {
  return {
    ...configuration,
    ...(inputs.rconPassword !== undefined ? { rconPassword: inputs.rconPassword } : {}),
    ...(inputs.serverPassword !== undefined ? { serverPassword: inputs.serverPassword } : {}),
  };
}

/** A strong RCON password, for servers whose program gives none. */
function generatePassword(): string {
  return randomBytes(18).toString("base64url");
}
