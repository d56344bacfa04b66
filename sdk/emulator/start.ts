import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ConsoleSockets } from "./console-socket.js";
import { createHandler } from "./http.js";
import { token } from "./ids.js";
import { EmulatorOptionError, optionError } from "./option-error.js";
import { EmulatorConfigPatch } from "./settings.js";
import { EmulatorState } from "./state.js";

/** Options of {@link startEmulator}: where to listen, plus any `PUT /_emulator/config` setting. */
export interface EmulatorOptions extends EmulatorConfigPatch {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to bind. @default "127.0.0.1" */
  host?: string;
  /** The seeded API key (organization `org_demo`, every scope). @default a random `gsk_emu_...` key */
  apiKey?: string;
}

/** A running emulator. */
export interface RunningEmulator {
  /** Base URL of both API families, e.g. `http://127.0.0.1:39123`. */
  url: string;
  port: number;
  /** The seeded key: organization `org_demo`, every scope. */
  apiKey: string;
  /** Stops listening, drops open connections and timers. */
  close(): Promise<void>;
}

/**
 * Starts an emulator of the hosting API on loopback.
 * @throws {@link EmulatorOptionError} naming the first invalid option, in one line:
 * `startEmulator: queueIntervalMs must be at least 1 (got 0)`; it carries `option` and `reason`.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const { port = 0, host = "127.0.0.1", apiKey = `gsk_emu_${token(24)}`, ...settings } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new EmulatorOptionError("port", "must be a whole number from 0 to 65535", port);
  if (typeof host !== "string" || host.trim() === "")
    throw new EmulatorOptionError("host", "must be an interface address such as 127.0.0.1", host);
  if (typeof apiKey !== "string" || !/^\S+$/.test(apiKey)) {
    // The value is a credential: never echoed.
    throw new EmulatorOptionError("apiKey", "must be a non-empty key without spaces (leave it out for a random one)", undefined);
  }
  const parsed = EmulatorConfigPatch.safeParse(settings);
  if (!parsed.success) throw optionError(parsed.error.issues[0]!, settings);
  const patch = parsed.data;
  const state = new EmulatorState(apiKey);
  state.applyConfig(patch);
  let origin = "";
  const sockets = new ConsoleSockets(state);
  const server: Server = createServer(createHandler(state, sockets, () => origin));
  server.keepAliveTimeout = 30_000;
  server.on("upgrade", (req, socket, head) => sockets.upgrade(req, socket, head));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${hostPart}:${address.port}`;
  origin = `ws://${hostPart}:${address.port}`;
  let closed: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    apiKey,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        sockets.close();
        state.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
