/**
 * A FleetServers part's inputs and state as its handlers work on them: every server whole (the
 * stored form shares what servers have alike, see ../pack.ts), and each server's inputs and
 * outputs as the GameServer provider takes them.
 */

import * as server from "../../game-server/handlers.js";
import { isRecord, type Props, STACK_INPUT } from "../../shared/inputs.js";
import { UNKNOWN } from "../../shared/unknown.js";
import { SHARED_SETTINGS, unpackAll } from "../pack.js";

/** A server's password inputs: kept in `passwords`, the resource's one secret output. */
const PASSWORD_KEYS = ["rconPassword", "serverPassword"] as const;

/** What a fleet server's inputs may hold (the GameServer inputs a fleet declares, passwords apart). */
export const SPEC_KEYS: readonly string[] = ["name", "autoNamePrefix", ...SHARED_SETTINGS];

export interface Fleet {
  fleet: string;
  servers: Record<string, Props>;
}

export function labelOf(fleet: unknown): string {
  return `GameServerFleet "${typeof fleet === "string" && fleet ? fleet : "?"}"`;
}

/** A server's settings as this resource stores them: the spec keys only (no passwords, no wait flag). */
export function specOf(inputs: Props): Props {
  const out: Props = {};
  for (const k of SPEC_KEYS) if (inputs[k] !== undefined) out[k] = inputs[k];
  return out;
}

/** One server's inputs as the GameServer provider takes them: never waiting (the roster waits). */
export function serverInputs(props: Props, key: string, spec: Props): Props {
  const all = props.passwords;
  // A preview may not know the passwords yet: then they may change.
  const pw =
    all === UNKNOWN || (isRecord(all) && all[key] === UNKNOWN)
      ? { rconPassword: UNKNOWN, serverPassword: UNKNOWN }
      : isRecord(all) && isRecord(all[key])
        ? all[key]
        : {};
  const out: Props = { ...spec, waitForRunning: false, __provider: props.__provider, ...stackOf(props) };
  for (const k of PASSWORD_KEYS) if (typeof pw[k] === "string") out[k] = pw[k];
  return out;
}

/** One server's outputs as the GameServer provider wrote them (passwords joined back in). */
export function serverOutputs(props: Props, key: string): Props {
  const s = (props.servers as Record<string, Props>)[key] ?? {};
  const { id: _id, ...rest } = s;
  return {
    ...rest,
    rconPassword: passwordOf(props, key, "rconPassword"),
    serverPassword: passwordOf(props, key, "serverPassword"),
    waitForRunning: false,
    __provider: props.__provider,
    ...stackOf(props),
  };
}

/** The hidden input naming the program's stack, when the props have it (states of 0.2 on). */
export function stackOf(props: Props): Props {
  return typeof props[STACK_INPUT] === "string" ? { [STACK_INPUT]: props[STACK_INPUT] } : {};
}

/** The engine holds these servers' ids (it sent their state): their creates' journal entries are done. */
export function settleCreates(olds: Props, news: Props): void {
  for (const [, kept] of stateOf(olds)) server.settleCreate(kept.id, kept.outs, news);
}

function passwordOf(props: Props, key: string, which: (typeof PASSWORD_KEYS)[number]): string | null {
  const pw = isRecord(props.passwords) ? props.passwords[key] : undefined;
  return isRecord(pw) && typeof pw[which] === "string" ? (pw[which] as string) : null;
}

/** Each server of a state: its id and its outputs as the GameServer provider takes them. */
export function stateOf(props: Props): Map<string, { id: string; outs: Props }> {
  const out = new Map<string, { id: string; outs: Props }>();
  for (const [key, s] of Object.entries((isRecord(props.servers) ? props.servers : {}) as Record<string, Props>)) {
    if (isRecord(s) && typeof s.id === "string" && s.id) out.set(key, { id: s.id, outs: serverOutputs(props, key) });
  }
  return out;
}

/** Splits a GameServer provider's outputs: the server (with its resource id) and its passwords. */
export function split(id: string, outs: Props): { server: Props; passwords: Props } {
  const { __provider: _p, [STACK_INPUT]: _s, rconPassword, serverPassword, waitForRunning: _w, ...rest } = outs;
  return { server: { id, ...rest }, passwords: { rconPassword: rconPassword ?? null, serverPassword: serverPassword ?? null } };
}

/** Inputs or state with every server whole (see ../pack.ts); everything here works on that form. */
export function whole(props: Props): Props {
  if (!isRecord(props.servers)) return props;
  const { common, ...rest } = props;
  return { ...rest, servers: unpackAll(common, props.servers) };
}

export function parseFleet(raw: Props): Fleet {
  return {
    fleet: typeof raw.fleet === "string" ? raw.fleet : "?",
    servers: (isRecord(raw.servers) ? raw.servers : {}) as Record<string, Props>,
  };
}
