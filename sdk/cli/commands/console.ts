import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import type { ConsoleEvent } from "../../console/index.js";
import {
  COMMON_HELP,
  COMMON_OPTIONS,
  CommandError,
  EXIT,
  InterruptedError,
  JSON_OPTION,
  parse,
  parseDuration,
  UsageError,
} from "../args.js";
import type { Command } from "../command.js";
import { makeClient } from "../context.js";
import { oneLine, terminalSafe } from "../format.js";

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...JSON_OPTION,
  "read-only": { type: "boolean" },
  "no-replay": { type: "boolean" },
  linger: { type: "string" },
} as const;

/** @default 1000 ms */
const DEFAULT_LINGER_MS = 1_000;

export const consoleCommand: Command = {
  name: "console",
  summary: "Open a server's live console: lines stream in, lines typed are sent",
  help: `Usage: gameservers console <id> [--read-only] [--no-replay] [--json]

Streams the server's console: its recent lines first, then every new one. Each line typed
(or piped) on stdin is sent as a console command. Status changes, reconnects and command
errors go to stderr. Ctrl-C leaves (exit 130); end of input (Ctrl-D, or the end of a pipe)
leaves after the last command's output had --linger to arrive (exit 0). A stream that ends
for any other reason (server deleted, key revoked) exits 1 with the reason.

  echo "changelevel de_inferno" | gameservers console srv_123

Options:
  --read-only          Only watch: stdin is not read (a game-console:read key is enough)
  --no-replay          Do not print the recent lines first, only new ones
  --linger DURATION    How long to keep streaming after the end of input (default 1s)
  --json               One JSON line per event: { type: "output", line }, { type: "status",
                       status }, and the stream's lifecycle events

${COMMON_HELP}`,
  async run(argv, ctx) {
    const { values, positionals } = parse("console", argv, OPTIONS);
    if (values.help) {
      ctx.print(consoleCommand.help);
      return EXIT.ok;
    }
    if (positionals.length !== 1) throw new UsageError(`console: expected one server id, got ${positionals.length}`);
    const id = positionals[0]!;
    const linger = values.linger === undefined ? DEFAULT_LINGER_MS : parseDuration("linger", values.linger);
    const client = makeClient(values, ctx.env);
    // Ends the stream when input ends (after the linger), without touching Ctrl-C's signal.
    const inputDone = new AbortController();
    const stream = client.console.connect(id, { signal: AbortSignal.any([ctx.signal, inputDone.signal]), replay: !values["no-replay"] });
    let input: ReturnType<typeof createInterface> | undefined;
    try {
      if (!values["read-only"]) {
        input = createInterface({ input: ctx.stdin, terminal: false });
        const sending = pump(input, async (command) => {
          try {
            await stream.ready;
          } catch {
            return; // The stream never opened: its end says why, once.
          }
          try {
            await stream.send(command);
          } catch (error) {
            if (!ctx.signal.aborted) ctx.warn(`gameservers: not sent: ${oneLine(error instanceof Error ? error.message : String(error))}`);
          }
        });
        void sending.then(async () => {
          await sleep(linger, undefined, { signal: ctx.signal }).catch(() => {});
          inputDone.abort();
        });
      }
      let readOnlyNoted = false;
      for await (const event of stream) {
        if (event.type === "authenticated" && stream.readOnly && !values["read-only"] && !readOnlyNoted) {
          readOnlyNoted = true;
          ctx.warn("gameservers: read-only console (the key lacks game-console:read_write): typed commands are not sent");
        }
        if (event.type === "closed") {
          if (ctx.signal.aborted) throw new InterruptedError();
          if (inputDone.signal.aborted) return EXIT.ok;
          if (event.error) throw event.error;
          throw new CommandError(`the console stream of ${id} closed: ${event.reason}`);
        }
        if (values.json) ctx.print(JSON.stringify(toJson(event)));
        else show(ctx, event);
      }
      if (ctx.signal.aborted) throw new InterruptedError();
      if (inputDone.signal.aborted) return EXIT.ok;
      throw new CommandError(`the console stream of ${id} ended without saying why`);
    } finally {
      input?.close();
      await stream.close().catch(() => {});
      await client.close();
    }
  },
};

/** Each non-empty input line, in order, one at a time; resolves when the input ends. */
async function pump(input: ReturnType<typeof createInterface>, handle: (line: string) => Promise<void>): Promise<void> {
  for await (const raw of input) {
    const line = raw.trim();
    if (line) await handle(line);
  }
}

function show(ctx: Parameters<Command["run"]>[1], event: ConsoleEvent): void {
  switch (event.type) {
    case "output":
      ctx.print(terminalSafe(event.line));
      return;
    case "status":
      ctx.warn(`[status: ${oneLine(event.status)}]`);
      return;
    case "reconnecting":
      ctx.warn(`gameservers: stream lost (${oneLine(event.reason)}); reconnecting in ${event.delayMs} ms (attempt ${event.attempt})`);
      return;
    case "resumed":
      ctx.warn(event.mayHaveMissedLines ? "gameservers: reconnected; some lines may have been missed" : "gameservers: reconnected");
      return;
    case "error":
      ctx.warn(`gameservers: ${oneLine(event.error.message)}`);
      return;
    default:
      return;
  }
}

function toJson(event: ConsoleEvent): Record<string, unknown> {
  if (event.type === "error") return { type: "error", error: oneLine(event.error.message) };
  if (event.type === "closed")
    return { type: "closed", reason: event.reason, ...(event.error ? { error: oneLine(event.error.message) } : {}) };
  return event;
}
