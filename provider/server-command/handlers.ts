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

export { configure } from "../core/context.js";

const Command = ConsoleCommandRequest.shape.command;
const CommandInputs = z.strictObject({
  serverId: ServerId,
  commands: z.array(Command).min(1, "must hold at least one command").max(100),
  triggers: z.unknown().optional(),
  onDelete: z.array(Command).max(100).optional(),
  readyTimeoutSeconds: z.int().min(1).max(86_400).optional(),
});
type CommandInputs = z.infer<typeof CommandInputs>;

export async function check(_olds: Props, news: Props) {
  const { __provider: _, ...inputs } = news;
  const known = Object.fromEntries(Object.entries(inputs).filter(([, v]) => !containsUnknown(v) && v !== undefined));
  const parsed = CommandInputs.partial().safeParse(known);
  const failures: CheckFailure[] = parsed.success ? [] : checkFailures(parsed.error.issues, { type: "ServerCommand" });
  for (const key of ["serverId", "commands"] as const) {
    if (news[key] === undefined || news[key] === null) failures.push({ property: key, reason: `${key} is required` });
  }
  return { inputs: news, failures };
}

export async function diff(_id: string, olds: Props, news: Props) {
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
    log(label(inputs), `server is ${status}: onDelete not sent`);
    return;
  }
  await send(inputs, inputs.onDelete);
}

export { del as delete };

function parse(raw: Props): CommandInputs {
  const { __provider: _, sent: _s, sentAt: _a, ...rest } = raw;
  return CommandInputs.parse(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined && v !== null)));
}

function deadlineOf(inputs: CommandInputs) {
  return { readyTimeoutSeconds: inputs.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS };
}

function label(inputs: CommandInputs): string {
  return `ServerCommand (${inputs.serverId})`;
}

/** Waits for the server to run, then sends the commands in order. */
async function sendAll(inputs: CommandInputs, commands: string[]): Promise<SentCommand[]> {
  const { client, watcher } = connect();
  const timeout = deadlineOf(inputs).readyTimeoutSeconds;
  const server = await client.gameServers.get(inputs.serverId, callOptions(deadlineOf(inputs)));
  if (server.deletedAt === null && server.status !== "running") {
    log(label(inputs), `server is ${server.status}; waiting up to ${timeout} s for it to run before sending`);
    const outcome = await watcher.wait(server.id, { deadline: Date.now() + timeout * 1000, server });
    if (outcome.kind !== "running") {
      const why =
        outcome.kind === "gone"
          ? "was deleted"
          : outcome.kind === "timeout"
            ? `is still ${outcome.lastStatus} after ${timeout} s`
            : `is ${outcome.server.status}`;
      throw new Error(`${label(inputs)}: the server ${why}; nothing was sent`);
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
      const done = sent.length > 0 ? ` (${sent.length} of ${commands.length} were sent before it)` : "";
      const unknown = error instanceof AmbiguousRequestError ? " It may or may not have run; it is not sent again." : "";
      throw new Error(`${label(inputs)}: "${command}" failed: ${(error as Error).message}${done}.${unknown}`);
    }
    sent.push({ command, sentAt: new Date().toISOString() });
  }
  log(label(inputs), `sent ${sent.length} command${sent.length === 1 ? "" : "s"}`);
  return sent;
}

function outputs(raw: Props, sent: SentCommand[]): Props {
  return { ...raw, sent, sentAt: sent.at(-1)?.sentAt ?? null };
}
