#!/usr/bin/env node
import { parseArgs } from "node:util";
import { startEmulator } from "./index.js";

const USAGE = `Usage: gameservers-emulator [--port 8787] [--host 127.0.0.1] [--api-key KEY]
                            [--queue-interval-ms 30000] [--boot-delay-ms 0]

Serves a local emulator of the hosting API (game servers, console, logs and the console
websocket) until stopped with Ctrl-C. Settings can be changed later with PUT /_emulator/config.`;

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
    if (!/^\d+$/.test(v)) throw new Error(`--${name} must be a whole number, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  const emulator = await startEmulator({
    port: int("port", values.port),
    host: values.host,
    apiKey: values["api-key"] ?? process.env.GAMESERVERS_API_KEY,
    queueIntervalMs: int("queue-interval-ms", values["queue-interval-ms"]),
    bootDelayMs: int("boot-delay-ms", values["boot-delay-ms"]),
  });
  console.log(`Game servers API emulator listening on ${emulator.url}`);
  console.log(`export GAMESERVERS_API_URL=${emulator.url}`);
  console.log(`export GAMESERVERS_API_KEY=${emulator.apiKey}`);
  const stop = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(`gameservers-emulator: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
