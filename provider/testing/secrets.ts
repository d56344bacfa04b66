/** Secrets as the engine treats them, for a run without the engine: which outputs are secret, and their values. */
import * as pulumi from "@pulumi/pulumi";

// biome-ignore lint/suspicious/noExplicitAny: @pulumi/pulumi's rpc helpers are untyped internals
export const rpc: any = require("@pulumi/pulumi/runtime/rpc");

/** Resolves Outputs anywhere inside `value`, recording the paths of secret ones. */
export async function resolveDeep(value: unknown, at: string, secrets: string[]): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    const [inner, secret] = await Promise.all([
      new Promise<unknown>((resolve) => (value as pulumi.Output<unknown>).apply((v) => resolve(v))),
      pulumi.isSecret(value as pulumi.Output<unknown>),
    ]);
    if (secret) secrets.push(at);
    return resolveDeep(inner, at, secrets);
  }
  if (value instanceof Promise) return resolveDeep(await value, at, secrets);
  if (pulumi.Resource.isInstance(value)) return resolveDeep((value as pulumi.Resource).urn, at, secrets);
  if (Array.isArray(value)) return Promise.all(value.map((v, i) => resolveDeep(v, `${at}[${i}]`, secrets)));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await resolveDeep(v, at ? `${at}.${k}` : k, secrets);
    return out;
  }
  return value;
}

/** As the engine does: outputs named in additionalSecretOutputs, or echoing a secret input, are secrets. */
export function markSecrets(state: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...state };
  for (const key of keys) if (out[key] !== undefined && out[key] !== null) out[key] = pulumi.secret(out[key]);
  return out;
}

export function unwrapSecrets(value: unknown): unknown {
  if (rpc.isRpcSecret(value)) return unwrapSecrets(rpc.unwrapRpcSecret(value));
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  return value;
}
