/**
 * What waiting costs the API (one shared watcher). Creates N servers at once through
 * the provider's handlers in one process, with the region full so every one waits, frees the
 * capacity after a fixed time, and counts the API requests the waits made. Prints figures;
 * asserts nothing.
 *   npm run bench
 */
import { setTimeout as sleep } from "node:timers/promises";
import * as handlers from "../provider/game-server/handlers.js";
import { SAMPLE_CS2_CONFIGURATION, startEmulator } from "../sdk/emulator/index.js";

const POLL_MS = 100;
const WAIT_MS = 2000;

interface Stats {
  requests: { total: number; byRoute: Record<string, number> };
}

async function measure(servers: number): Promise<void> {
  const emulator = await startEmulator({ capacity: { "eu-north-1": 0 }, queueIntervalMs: 3_600_000 });
  const control = async (method: string, path: string, body?: unknown) =>
    (await fetch(emulator.url + path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json();
  try {
    await handlers.configure({
      config: {
        get: (key) =>
          ({ "gameservers:apiKey": emulator.apiKey, "gameservers:apiUrl": emulator.url, "gameservers:pollIntervalMs": String(POLL_MS) })[
            key
          ],
      },
    });
    const { rconPassword: _, ...configuration } = SAMPLE_CS2_CONFIGURATION;
    const log = console.log;
    console.log = () => undefined; // the progress lines: one per server and status change
    const creates = Array.from({ length: servers }, (_, i) =>
      handlers.create({
        name: `bench-${i}`,
        gameType: "cs2",
        region: "eu-north-1",
        configuration,
        waitForRunning: true,
        readyTimeoutSeconds: 60,
      }),
    );
    await sleep(WAIT_MS);
    await control("PUT", "/_emulator/config", { capacity: { "eu-north-1": servers } });
    await control("POST", "/_emulator/tick");
    const started = Date.now();
    await Promise.all(creates);
    console.log = log;
    const stats = (await control("GET", "/_emulator/stats")) as Stats;
    const polls = stats.requests.total - (stats.requests.byRoute["POST /v1/game-servers"] ?? 0);
    const perSecond = polls / ((WAIT_MS + Date.now() - started) / 1000);
    console.log(
      `${String(servers).padStart(3)} servers waiting ${WAIT_MS / 1000} s at a ${POLL_MS} ms interval: ${polls} polling requests ` +
        `(${perSecond.toFixed(1)}/s; by route ${JSON.stringify(Object.fromEntries(Object.entries(stats.requests.byRoute).filter(([r]) => r.startsWith("GET"))))})`,
    );
  } finally {
    await emulator.close();
  }
}

async function main(): Promise<void> {
  for (const n of [1, 8, 64]) await measure(n);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
