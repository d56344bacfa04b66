import type { Context } from "./context.js";

/** One `gameservers` subcommand. */
export interface Command {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** The full `--help` text. */
  help: string;
  /** Runs with the arguments after the command's name; resolves to the exit code. */
  run(argv: string[], ctx: Context): Promise<number>;
}
