import { ReplayDedupe } from "../../console/replay.js";
import type { GameServersClient } from "../../core/client.js";
import {
  COMMON_HELP,
  COMMON_OPTIONS,
  CommandError,
  EXIT,
  InterruptedError,
  JSON_OPTION,
  parse,
  parseInteger,
  UsageError,
} from "../args.js";
import type { Command } from "../command.js";
import { type Context, makeClient } from "../context.js";
import { logLines, oneLine, terminalSafe } from "../format.js";

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...JSON_OPTION,
  follow: { type: "boolean", short: "f" },
  tail: { type: "string" },
} as const;

export const logs: Command = {
  name: "logs",
  summary: "Print a server's latest log; -f follows it live",
  help: `Usage: gameservers logs <id> [--tail N] [-f|--follow] [--json]

Prints the server's latest log. With --follow, then streams new lines over the console
websocket until Ctrl-C: a dropped stream reconnects by itself, no line is printed twice, and
stderr says when it reconnects or when lines may have been missed. A stream that ends for any
other reason (server deleted, key revoked) is an error (exit 1), never a silent exit.

Options:
  --tail N       Only the last N lines of the log (default: all; --tail 0 with -f: only new lines)
  -f, --follow   Keep streaming new lines
  --json         Without -f: { serverId, empty, lines: [...] }. With -f: one JSON line per log
                 line, { serverId, line }; notices stay on stderr

${COMMON_HELP}`,
  async run(argv, ctx) {
    const { values, positionals } = parse("logs", argv, OPTIONS);
    if (values.help) {
      ctx.print(logs.help);
      return EXIT.ok;
    }
    if (positionals.length !== 1) throw new UsageError(`logs: expected one server id, got ${positionals.length}`);
    const id = positionals[0]!;
    const tail = values.tail === undefined || values.tail === "-1" ? undefined : parseInteger("tail", values.tail, { min: 0 });
    const client = makeClient(values, ctx.env);
    try {
      const latest = await client.logs.latest(id, { signal: ctx.signal });
      const history = logLines(latest.content);
      const shown = tail === undefined ? history : tail === 0 ? [] : history.slice(-tail);
      if (values.json && !values.follow) {
        ctx.print(JSON.stringify({ serverId: latest.serverId, empty: latest.empty, lines: shown }, null, 2));
        return EXIT.ok;
      }
      const emit = values.json
        ? (line: string) => ctx.print(JSON.stringify({ serverId: id, line }))
        : (line: string) => ctx.print(terminalSafe(line));
      for (const line of shown) emit(line);
      if (!values.follow) return EXIT.ok;
      return await follow(ctx, client, id, history, emit);
    } finally {
      await client.close();
    }
  },
};

/**
 * Streams the console's lines after `history` (the whole log read over HTTP, printed or
 * skipped by `--tail`): the stream's opening replay is matched against it, so no line is
 * printed twice. Returns only when interrupted; any other end of the stream throws.
 */
async function follow(
  ctx: Context,
  client: GameServersClient,
  id: string,
  history: string[],
  emit: (line: string) => void,
): Promise<number> {
  const stream = client.console.connect(id, { signal: ctx.signal, replay: true });
  let warnedGap = false;
  const release = (lines: string[]) => {
    for (const line of lines) emit(line);
    if (dedupe.done && dedupe.mayHaveMissedLines && !warnedGap) {
      warnedGap = true;
      ctx.warn("gameservers: the stream's replay does not overlap the log read before it: lines written in between may be missing");
    }
  };
  // The stream's first replay is the log's tail: what the HTTP read already printed is dropped.
  const dedupe = new ReplayDedupe(history, release);
  try {
    for await (const event of stream) {
      switch (event.type) {
        case "output":
          release(dedupe.push(event.line));
          break;
        case "reconnecting":
          ctx.warn(`gameservers: stream lost (${oneLine(event.reason)}); reconnecting in ${event.delayMs} ms (attempt ${event.attempt})`);
          break;
        case "resumed":
          ctx.warn(
            event.mayHaveMissedLines
              ? "gameservers: reconnected; some lines may have been missed"
              : "gameservers: reconnected; no lines missed",
          );
          break;
        case "error":
          ctx.warn(`gameservers: ${oneLine(event.error.message)}`);
          break;
        case "closed":
          if (ctx.signal.aborted) throw new InterruptedError();
          if (event.error) throw event.error;
          throw new CommandError(`the log stream of ${id} closed: ${event.reason}`);
        default:
          break;
      }
    }
  } finally {
    dedupe.stop();
    await stream.close().catch(() => {});
  }
  if (ctx.signal.aborted) throw new InterruptedError();
  throw new CommandError(`the log stream of ${id} ended without saying why`);
}
