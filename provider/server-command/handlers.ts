/**
 * The ServerCommand dynamic provider's implementation (type
 * `pulumi-nodejs:dynamic/gameservers:ServerCommand`): console commands as code. Create sends
 * the commands once the server runs, one at a time in order, over the HTTP command endpoint;
 * an update sends them again when `commands` or `triggers` changed; delete sends `onDelete`.
 * Nothing runs in preview (the engine calls none of these then) or on an unchanged `up`.
 */
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { AmbiguousRequestError, NotFoundError } from "../../sdk/index.js";
import { ConsoleCommandRequest, ServerId } from "../../sdk/schemas/index.js";
import { callOptions, connect, log } from "../core/context.js";
import { plannedFate } from "../core/planned-fates.js";
import { type CheckFailure, checkFailures } from "../shared/check-failures.js";
import { DEFAULT_READY_TIMEOUT_SECONDS, type Props } from "../shared/inputs.js";
import { containsUnknown, UNKNOWN } from "../shared/unknown.js";
import type { SentCommand } from "./resource.js";
import { type CommandLabel, LABEL_INPUT } from "./targets.js";

export { configure } from "../core/context.js";

const Command = ConsoleCommandRequest.shape.command;
const CommandInputs = z.strictObject({
  serverId: ServerId,
  commands: z.array(Command).min(1, "must hold at least one command").max(100),
  triggers: z.unknown().optional(),
  onDelete: z.array(Command).max(100).optional(),
  readyTimeoutSeconds: z.int().min(1).max(86_400).optional(),
});
/** The inputs, and what the lines name: the resource and its server (see targets.ts). */
type CommandInputs = z.infer<typeof CommandInputs> & { label?: CommandLabel };

/** The label's shape; a malformed one is dropped, never a failure (it only names things). */
const Label = z.looseObject({ name: z.string().min(1), fleet: z.string().min(1).optional(), key: z.string().min(1).optional() });

export async function check(_olds: Props, news: Props) {
  const { __provider: _, [LABEL_INPUT]: _label, ...inputs } = news;
  const known = Object.fromEntries(Object.entries(inputs).filter(([, v]) => !containsUnknown(v) && v !== undefined));
  const parsed = CommandInputs.partial().safeParse(known);
  const failures: CheckFailure[] = parsed.success ? [] : checkFailures(parsed.error.issues, { type: "ServerCommand" });
  for (const key of ["serverId", "commands"] as const) {
    if (news[key] === undefined || news[key] === null) failures.push({ property: key, reason: `${key} is required` });
  }
  return { inputs: news, failures };
}

export async function diff(_id: string, olds: Props, news: Props) {
  // Only what is sent, where and when: the label (LABEL_INPUT) names things and is never
  // compared, so a stack written before it, or a fleet or resource renamed, shows no change.
  const differs = (key: string) => containsUnknown(news[key]) || !isDeepStrictEqual(olds[key] ?? null, news[key] ?? null);
  // In a preview, the id of a server updated in place arrives unknown (see planned-fates.ts):
  // the diff of the resource that holds it said whether it stays.
  const sameServer = news.serverId === UNKNOWN && plannedFate(olds.serverId) === "kept";
  // Another server is another console: its commands are sent there afresh.
  const replaces = !sameServer && differs("serverId") ? ["serverId"] : [];
  const changes = replaces.length > 0 || ["commands", "triggers", "onDelete", "readyTimeoutSeconds"].some(differs);
  return { changes, replaces, deleteBeforeReplace: false };
}

export async function create(raw: Props): Promise<{ id: string; outs: Props }> {
  const inputs = parse(raw);
  const sent = await sendAll(inputs, inputs.commands);
  return { id: `${inputs.serverId}/commands-${Date.now().toString(36)}`, outs: outputs(raw, sent) };
}

export async function update(_id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
  const inputs = parse(news);
  // Only a change of what is sent sends again; a new onDelete or deadline is just recorded.
  const resend = !isDeepStrictEqual(olds.commands, news.commands) || !isDeepStrictEqual(olds.triggers ?? null, news.triggers ?? null);
  const sent = resend ? await sendAll(inputs, inputs.commands) : ((olds.sent as SentCommand[] | undefined) ?? []);
  return { outs: outputs(news, sent) };
}

export async function read(id: string, props: Props) {
  return { id, props };
}

/** Sends `onDelete`, if any, to a server that still runs; a server already gone needs nothing. */
export async function del(_id: string, props: Props): Promise<void> {
  const inputs = parse(props);
  if (!inputs.onDelete?.length) return;
  const { client } = connect();
  let status: string;
  try {
    const server = await client.gameServers.get(inputs.serverId, callOptions(deadlineOf(inputs)));
    status = server.deletedAt !== null ? "deleted" : server.status;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    status = "deleted";
  }
  if (status !== "running") {
    log(label(inputs), `${target(inputs)} is ${status}: onDelete not sent`);
    return;
  }
  await send(inputs, inputs.onDelete);
}

export { del as delete };

function parse(raw: Props): CommandInputs {
  const { __provider: _, sent: _s, sentAt: _a, [LABEL_INPUT]: label, ...rest } = raw;
  const inputs = CommandInputs.parse(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined && v !== null)));
  // A state written before the label has none: its lines give the server's id alone.
  const named = Label.safeParse(label);
  return named.success ? { ...inputs, label: named.data } : inputs;
}

function deadlineOf(inputs: CommandInputs) {
  return { readyTimeoutSeconds: inputs.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS };
}

/** `ServerCommand "announce-final-1"`, or `ServerCommand` when the state has no label. */
function label(inputs: CommandInputs): string {
  return inputs.label ? `ServerCommand "${inputs.label.name}"` : "ServerCommand";
}

/** The server, by fleet and key when a fleet gave its id: `winter-cup/final-1 (srv_...)`, else `srv_...`. */
function target(inputs: CommandInputs): string {
  const { fleet, key } = inputs.label ?? {};
  return fleet !== undefined && key !== undefined ? `${fleet}/${key} (${inputs.serverId})` : inputs.serverId;
}

/**
 * A command as the lines quote it: its first word, the arguments left out (`"say ..."`). A
 * command may carry a password (`sv_password ...`), and the provider cannot tell a secret input
 * from plain text: the dynamic-provider host hands it every input decrypted.
 */
function quoted(command: string): string {
  const [verb = ""] = command.trim().split(/\s+/, 1);
  return verb.length < command.trim().length ? `"${verb} ..."` : `"${verb}"`;
}

/** `"say ...", "changelevel ..."`, or `12 commands ("say ...", "say ...", "say ..." and 9 more)`. */
function quotedAll(commands: string[]): string {
  if (commands.length <= 3) return commands.map(quoted).join(", ");
  return `${commands.length} commands (${commands.slice(0, 3).map(quoted).join(", ")} and ${commands.length - 3} more)`;
}

/** Waits for the server to run, then sends the commands in order. */
async function sendAll(inputs: CommandInputs, commands: string[]): Promise<SentCommand[]> {
  const { client, watcher } = connect();
  const timeout = deadlineOf(inputs).readyTimeoutSeconds;
  const server = await client.gameServers.get(inputs.serverId, callOptions(deadlineOf(inputs)));
  if (server.deletedAt === null && server.status !== "running") {
    log(label(inputs), `${target(inputs)} is ${server.status}; waiting up to ${timeout} s for it to run before sending`);
    const outcome = await watcher.wait(server.id, { deadline: Date.now() + timeout * 1000, server });
    if (outcome.kind !== "running") {
      const why =
        outcome.kind === "gone"
          ? "was deleted"
          : outcome.kind === "timeout"
            ? `is still ${outcome.lastStatus} after ${timeout} s`
            : `is ${outcome.server.status}`;
      throw new Error(`${label(inputs)}: ${target(inputs)} ${why}; nothing was sent`);
    }
  }
  return send(inputs, commands);
}

/** One command at a time, in order; the first refusal fails with the API's reason. */
async function send(inputs: CommandInputs, commands: string[]): Promise<SentCommand[]> {
  const { client } = connect();
  const sent: SentCommand[] = [];
  for (const command of commands) {
    try {
      await client.console.sendCommand(inputs.serverId, command, callOptions(deadlineOf(inputs)));
    } catch (error) {
      // Which command, and whether any before it already ran: those are not taken back.
      const before =
        sent.length === 0 ? "none was sent" : sent.length === 1 ? "the one before it was sent" : `the ${sent.length} before it were sent`;
      const which = commands.length > 1 ? ` (command ${sent.length + 1} of ${commands.length}; ${before})` : "";
      const unknown = error instanceof AmbiguousRequestError ? " It may or may not have run; it is not sent again." : "";
      throw new Error(
        `${label(inputs)}: sending ${quoted(command)}${which} to ${target(inputs)} failed: ${(error as Error).message}.${unknown}`,
      );
    }
    sent.push({ command, sentAt: new Date().toISOString() });
  }
  log(label(inputs), `sent ${quotedAll(commands)} to ${target(inputs)}`);
  return sent;
}

function outputs(raw: Props, sent: SentCommand[]): Props {
  return { ...raw, sent, sentAt: sent.at(-1)?.sentAt ?? null };
}
