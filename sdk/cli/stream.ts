import type { GameServersClient } from "../client.js";
import { CommandError } from "./args.js";

// The console stream's contract (issue 10), until `client.console.connect` lands in the SDK.
export interface ConsoleConnectOptions {
  signal?: AbortSignal;
  maxReconnects?: number;
  replay?: boolean;
}
export type ConsoleEvent =
  | { type: "authenticated" }
  | { type: "output"; line: string }
  | { type: "status"; status: string }
  | { type: "token-refreshed" }
  | { type: "reconnecting"; attempt: number; delayMs: number; reason: string }
  | { type: "resumed"; mayHaveMissedLines: boolean }
  | { type: "error"; error: Error }
  | { type: "closed"; reason: string; error?: Error };
export interface ConsoleStream extends AsyncIterable<ConsoleEvent> {
  readonly serverId: string;
  readonly readOnly: boolean;
  send(command: string): Promise<void>;
  close(): Promise<void>;
  ready: Promise<void>;
}

/** `client.console.connect(serverId, options)`. */
export function connect(client: GameServersClient, serverId: string, options: ConsoleConnectOptions): ConsoleStream {
  const impl = (client.console as unknown as { connect?: (id: string, o: ConsoleConnectOptions) => ConsoleStream }).connect;
  if (typeof impl !== "function") throw new CommandError("this build of the SDK has no console stream (client.console.connect)");
  return impl.call(client.console, serverId, options);
}
