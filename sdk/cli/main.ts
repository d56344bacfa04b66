#!/usr/bin/env node
import { RequestValidationError } from "../core/errors.js";
import { packageVersion } from "../internal/version.js";
import { EXIT, InterruptedError, UsageError } from "./args.js";
import type { Command } from "./command.js";
import { board } from "./commands/board.js";
import { consoleCommand } from "./commands/console.js";
import { deleteCommand } from "./commands/delete.js";
import { get } from "./commands/get.js";
import { list } from "./commands/list.js";
import { logs } from "./commands/logs.js";
import { orphans } from "./commands/orphans.js";
import { send } from "./commands/send.js";
import { watch } from "./commands/watch.js";
import type { Context } from "./context.js";
import { oneLine } from "./format.js";

const COMMANDS: readonly Command[] = [list, get, logs, send, consoleCommand, watch, board, orphans, deleteCommand];

const USAGE = `Usage: gameservers <command> [options]

Operate game servers from a terminal or a script.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(9)}${c.summary}`).join("\n")}

Run 'gameservers <command> --help' for a command's options.

Credentials: GAMESERVERS_API_KEY (or --api-key-file PATH); GAMESERVERS_API_URL and
GAMESERVERS_CONSOLE_API_URL (or --api-url, --console-api-url), as the SDK reads them.
Exit codes: 0 ok, 1 API error or the command failed, 2 bad arguments, 130 Ctrl-C.`;

/** Runs one invocation; resolves to its exit code. Errors are printed as one line on stderr. */
export async function main(argv: string[], ctx: Context): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      const topic = name === "help" ? rest[0] : undefined;
      const command = COMMANDS.find((c) => c.name === topic);
      if (topic !== undefined && !command) throw new UsageError(`unknown command ${JSON.stringify(topic)}`);
      (name === undefined ? ctx.warn : ctx.print)(command?.help ?? USAGE);
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    if (name === "--version") {
      ctx.print(packageVersion());
      return EXIT.ok;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)} (commands: ${COMMANDS.map((c) => c.name).join(", ")})`);
    return await command.run(rest, ctx);
  } catch (error) {
    if (ctx.signal.aborted || error instanceof InterruptedError) return EXIT.interrupted;
    const message = oneLine(error instanceof Error ? error.message : String(error));
    if (error instanceof UsageError || error instanceof RequestValidationError) {
      const command = COMMANDS.find((c) => c.name === name);
      ctx.warn(`gameservers: ${message}${command ? ` (see 'gameservers ${command.name} --help')` : ""}`);
      return EXIT.usage;
    }
    ctx.warn(`gameservers: ${message}`);
    return EXIT.failure;
  }
}

/** The process around {@link main}: Ctrl-C aborts the command; a second Ctrl-C exits at once. */
export function runProcess(): void {
  const controller = new AbortController();
  process.on("SIGINT", () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    controller.abort(new InterruptedError());
    // Whatever the command is waiting on, Ctrl-C ends the process promptly.
    setTimeout(() => process.exit(EXIT.interrupted), 2_000).unref();
  });
  // `gameservers list | head`: a closed pipe ends the output, not with a stack trace.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(EXIT.ok);
    throw error;
  });
  const ctx: Context = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    signal: controller.signal,
    print: (line) => process.stdout.write(`${line}\n`),
    warn: (line) => process.stderr.write(`${line}\n`),
  };
  main(process.argv.slice(2), ctx).then(
    (code) => exitAfterFlush(controller.signal.aborted ? EXIT.interrupted : code),
    (error: unknown) => {
      process.stderr.write(`gameservers: ${oneLine(error instanceof Error ? error.message : String(error))}\n`);
      exitAfterFlush(EXIT.failure);
    },
  );
}

/** Exits once stdout and stderr have taken everything written (pipes may be asynchronous). */
function exitAfterFlush(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write("", done);
  process.stderr.write("", done);
}

if (require.main === module) runProcess();
