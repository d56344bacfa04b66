/**
 * The errors that keep a GameServer in the state though its create or update did not finish, and
 * the label every line names the resource by. The host turns an error carrying `id`,
 * `properties` and `reasons` into ErrorResourceInitFailed
 * ([dynamic-provider host](https://github.com/pulumi/pulumi/blob/master/sdk/nodejs/cmd/dynamic-provider/index.ts)).
 */
import { randomBytes } from "node:crypto";
import type { GameServer } from "../../sdk/index.js";
import { UNRESOLVED_ID_PREFIX } from "../../sdk/internal/index.js";
import type { CreateIntent } from "../core/fingerprint.js";
import { type Props, STACK_INPUT } from "../shared/inputs.js";
import type { ProviderInputs } from "./inputs.js";
import { toOutputs } from "./outputs.js";

export function labelOf(name: unknown, id?: string): string {
  return `GameServer "${typeof name === "string" && name ? name : "?"}"${id ? ` (${id})` : ""}`;
}

/**
 * An error the host turns into ErrorResourceInitFailed: the server stays in state with these
 * outputs, and the next `pulumi up` calls update, which resumes. Passwords are left out (null)
 * so nothing secret is ever stored unmarked; update fills them in.
 */
export function initFailed(message: string, server: GameServer, inputs: ProviderInputs, raw: Props): Error {
  return Object.assign(new Error(message), {
    id: server.id,
    properties: { ...toOutputs(server, inputs, { passwords: false }), __provider: raw.__provider },
    reasons: [message],
  });
}

/**
 * The create's outcome stays unknown. The error keeps the resource in state under a placeholder
 * id with the POST's intent, so the next run (on any machine) finds the server instead of
 * making a second one.
 */
export function unresolvedCreate(
  intent: CreateIntent,
  inputs: ProviderInputs,
  raw: Props,
  label: string,
  cause: Error,
  lookupError: Error | undefined,
): Error {
  const message =
    `${label}: the create's outcome is unknown (${cause.message})${lookupError ? `, and looking the server up failed too (${lookupError.message})` : ""}. ` +
    `A server named "${intent.name}" (${intent.gameType}, ${intent.region}) may exist. It stays in the stack as unresolved: ` +
    "the next `pulumi up` looks for it and removes it before creating the server again, and `pulumi destroy` removes it if it exists.";
  return Object.assign(new Error(message), {
    id: `${UNRESOLVED_ID_PREFIX}${randomBytes(6).toString("hex")}`,
    properties: { ...unresolvedOutputs(inputs), createIntent: intent, __provider: raw.__provider },
    reasons: [message],
  });
}

/** Outputs of a resource whose server is not known: what was asked for, nothing the API said. */
function unresolvedOutputs(inputs: ProviderInputs) {
  return {
    serverId: null,
    name: inputs.name,
    gameType: inputs.gameType,
    region: inputs.region,
    status: "unknown",
    configuration: inputs.configuration,
    waitForRunning: inputs.waitForRunning,
    readyTimeoutSeconds: inputs.readyTimeoutSeconds,
    ...(inputs.autoNamePrefix !== undefined ? { autoNamePrefix: inputs.autoNamePrefix } : {}),
    ...(inputs.stack !== undefined ? { [STACK_INPUT]: inputs.stack } : {}),
  };
}
