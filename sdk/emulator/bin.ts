#!/usr/bin/env node
import { parseArgs } from "node:util";
import { isLoopbackHost } from "../internal/url.js";
import { EmulatorOptionError, startEmulator } from "./index.js";

const USAGE = `Usage: gameservers-emulator [--port 8787] [--host 127.0.0.1] [--api-key KEY]
                            [--queue-interval-ms 30000] [--boot-delay-ms 0]

Serves a local emulator of the hosting API (game servers, console, logs and the console
websocket) until stopped with Ctrl-C. Settings can be changed later with PUT /_emulator/config.
--host 0.0.0.0 exposes it, and its unauthenticated /_emulator/ routes, to the network.`;

/** The flag that sets each startEmulator option, for error messages that name what the user typed. */
const FLAGS: Record<string, string> = {
  port: "--port",
  host: "--host",
  apiKey: "--api-key",
  queueIntervalMs: "--queue-interval-ms",
  bootDelayMs: "--boot-delay-ms",
};

/** A mistake on the command line: printed as one line, exit code 2 (as usage errors of other CLIs). */
class UsageError extends Error {
  override name = "UsageError";
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "8787" },
      host: { type: "string", default: "127.0.0.1" },
      "api-key": { type: "string" },
      "queue-interval-ms": { type: "string" },
      "boot-delay-ms": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const int = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  const apiKey = values["api-key"] ?? (process.env.GAMESERVERS_API_KEY || undefined);
  if (apiKey !== undefined && apiKey.trim() === "") {
    throw new UsageError("--api-key must not be empty: leave it out to get a random key");
  }
  const host = values.host.trim();
  if (host === "") throw new UsageError("--host must not be empty: leave it out to listen on 127.0.0.1");
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  try {
    emulator = await startEmulator({
      port: int("port", values.port),
      host,
      apiKey,
      queueIntervalMs: int("queue-interval-ms", values["queue-interval-ms"]),
      bootDelayMs: int("boot-delay-ms", values["boot-delay-ms"]),
    });
  } catch (error) {
    throw asUsageError(error, values.port);
  }
  const { url, exposed } = reachableUrl(emulator.url);
  if (exposed) {
    console.error(
      `gameservers-emulator: warning: listening on ${host}, reachable from other machines: anyone who can reach port ${emulator.port} ` +
        "can use the API with the printed key and the unauthenticated /_emulator/ routes (reset, keys, faults, config). " +
        "Use --host 127.0.0.1 unless that is what you want.",
    );
  }
  const stop = () => {
    void emulator.close().then(() => process.exit(0));
  };
  // Before the ready lines: whoever reads them may stop us at once.
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  console.log(`Game servers API emulator listening on ${url}`);
  console.log(`export GAMESERVERS_API_URL=${url}`);
  console.log(`export GAMESERVERS_API_KEY=${emulator.apiKey}`);
}

/**
 * The URL to print: an address that is not loopback is exposed, and the SDK accepts plain
 * http:// only on loopback; a wildcard address (0.0.0.0, ::) is reached from this machine
 * through loopback, so that is the URL printed for it.
 */
function reachableUrl(listening: string): { url: string; exposed: boolean } {
  const url = new URL(listening);
  const wildcard = url.hostname === "0.0.0.0" || url.hostname === "[::]";
  if (wildcard) url.hostname = url.hostname === "0.0.0.0" ? "127.0.0.1" : "[::1]";
  return { url: url.origin, exposed: wildcard || !isLoopbackHost(url.hostname) };
}

/** startEmulator's option errors name the option; the CLI names the flag instead. */
function asUsageError(error: unknown, port: string): unknown {
  if (!(error instanceof Error)) return error;
  if (error instanceof EmulatorOptionError && FLAGS[error.option]) return new UsageError(`${FLAGS[error.option]} ${error.reason}`);
  const code = (error as { code?: string }).code;
  if (code === "EADDRINUSE") return new UsageError(`port ${port} is already in use: pick another with --port (0 picks a free one)`);
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") return new UsageError(`--host cannot be listened on: ${error.message}`);
  return error;
}

main().catch((error: unknown) => {
  const usage = error instanceof UsageError || (error as { code?: string })?.code?.startsWith("ERR_PARSE_ARGS");
  console.error(`gameservers-emulator: ${error instanceof Error ? error.message : String(error)}${usage ? " (--help for usage)" : ""}`);
  process.exit(usage ? 2 : 1);
});
