/**
 * What the event board (`gameservers board`) costs and how fast it shows a change, for 20 and
 * 200 servers: the board runs in this process with its defaults (a list call every 1 s, at most
 * 10 API requests per second), against an emulator, and Debian's Chromium shows the page
 * (playwright-core, `/usr/bin/chromium`). Prints figures; asserts nothing.
 *   npm run bench
 *   node dist/bench/board.js --screenshot docs/images/board.png   (the 20-server board, as docs/cli.md shows it)
 */
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { chromium, type Page } from "playwright-core";
import { board } from "../sdk/cli/commands/board.js";
import type { Context } from "../sdk/cli/context.js";
import { SAMPLE_CS2_CONFIGURATION, startEmulator } from "../sdk/emulator/index.js";
import { GameServersClient } from "../sdk/index.js";

const SIZES = [20, 200];
const SAMPLES = 10;
/** The idle span the request rate is measured over. */
const IDLE_MS = 10_000;
const REGIONS = ["eu-west-1", "us-east-1", "eu-central-1", "us-west-2"];

interface Stats {
  requests: { total: number };
}

async function measure(size: number, screenshot: string | undefined): Promise<void> {
  const emulator = await startEmulator({});
  const control = async <T>(method: string, path: string, body?: unknown): Promise<T> =>
    (await (
      await fetch(emulator.url + path, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    ).json()) as T;
  const client = new GameServersClient({ apiKey: emulator.apiKey, baseUrl: emulator.url });
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium" });
  const controller = new AbortController();
  try {
    const ids: string[] = [];
    for (let i = 0; i < size; i++) {
      const server = await client.gameServers.create({
        name: `winter-cup-${String(i + 1).padStart(3, "0")}`,
        gameType: "cs2",
        region: REGIONS[i % REGIONS.length]!,
        configuration: { ...SAMPLE_CS2_CONFIGURATION, maxPlayers: 10 },
      });
      ids.push(server.id);
      if (i % 3 !== 2) await control("POST", `/_emulator/servers/${server.id}/players`, { connect: 1 + (i % 9) });
      if (i % 4 === 1) await client.console.sendCommand(server.id, `changelevel ${SAMPLE_CS2_CONFIGURATION.mapPool.at(-1)}`);
    }
    let url = "";
    const ctx: Context = {
      stdout: new PassThrough(),
      stderr: new PassThrough(),
      stdin: new PassThrough(),
      env: { GAMESERVERS_API_KEY: emulator.apiKey, GAMESERVERS_API_URL: emulator.url },
      signal: controller.signal,
      print: (line) => {
        url = /^Board: (\S+)$/.exec(line)?.[1] ?? url;
      },
      warn: () => {},
    };
    const before = (await control<Stats>("GET", "/_emulator/stats")).requests.total;
    const started = Date.now();
    const running = board.run([], ctx).catch(() => undefined);
    while (!url) await sleep(5);
    // The page forbids eval (its CSP); the measuring code below is evaluated by playwright.
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
    await page.goto(url);
    // Page code as a string: this file is compiled without the DOM's types.
    const known = size;
    await page.waitForFunction(
      `[...document.querySelectorAll(".tile .players")].filter((p) => p.textContent !== "players ?").length >= ${known}`,
      undefined,
      { timeout: 120_000, polling: 50 },
    );
    const full = Date.now() - started;
    const startRequests = (await control<Stats>("GET", "/_emulator/stats")).requests.total - before;

    if (screenshot) await shoot(page, screenshot);
    const idleFrom = (await control<Stats>("GET", "/_emulator/stats")).requests.total;
    await sleep(IDLE_MS);
    const idle = ((await control<Stats>("GET", "/_emulator/stats")).requests.total - idleFrom) / (IDLE_MS / 1000);

    const joins: number[] = [];
    const stops: number[] = [];
    const renames: number[] = [];
    for (let s = 0; s < SAMPLES; s++) {
      const id = ids[(s * 7) % size]!;
      const players = page.locator(`.tile[data-id="${id}"] .players`);
      const shown = await players.textContent();
      let t = Date.now();
      await control("POST", `/_emulator/servers/${id}/players`, { connect: [`bench${s}`] });
      await page.waitForFunction(
        `document.querySelector(${JSON.stringify(`.tile[data-id="${id}"] .players`)})?.textContent !== ${JSON.stringify(shown)}`,
        undefined,
        { polling: "raf" },
      );
      joins.push(Date.now() - t);
      t = Date.now();
      await client.gameServers.update(id, { name: `renamed-${s}-${id}` });
      await page.waitForSelector(`.tile[data-id="${id}"] .name:text("renamed-${s}-")`);
      renames.push(Date.now() - t);
    }
    for (let s = 0; s < SAMPLES; s++) {
      const id = ids[size - 1 - s * 2]!;
      const t = Date.now();
      await control("POST", `/_emulator/servers/${id}/stop`);
      await page.waitForSelector(`.tile[data-id="${id}"][data-status="stopped"]`);
      stops.push(Date.now() - t);
    }
    console.log(
      `${String(size).padStart(3)} servers: full board in ${(full / 1000).toFixed(1)} s (${startRequests} API requests); ` +
        `idle ${idle.toFixed(1)} requests/s; update latency (median / max, ${SAMPLES} samples): ` +
        `player joins ${fmt(joins)}, status change ${fmt(stops)}, rename (next list call) ${fmt(renames)}`,
    );
    controller.abort();
    await running;
  } finally {
    controller.abort();
    await browser.close();
    await client.close();
    await emulator.close();
  }
}

/** The board as docs/cli.md shows it: an announcement's results above the tiles. */
async function shoot(page: Page, path: string): Promise<void> {
  await page.fill("#announce-input", "say Matches start in 10 minutes");
  await page.click("#announce-form button");
  await page.waitForSelector("#announce-summary:text('Sent to')");
  // Only the first rows: the table of 20 would push the tiles out of the picture.
  await page.evaluate(`for (const row of [...document.getElementById("announce-results").children].slice(3)) row.remove()`);
  await page.screenshot({ path, fullPage: false });
}

function fmt(ms: number[]): string {
  const sorted = ms.toSorted((a, b) => a - b);
  return `${sorted[Math.floor(sorted.length / 2)]} / ${sorted.at(-1)} ms`;
}

const at = process.argv.indexOf("--screenshot");
const screenshot = at > 0 ? process.argv[at + 1] : undefined;
async function main(): Promise<void> {
  console.log("Event board (gameservers board, defaults: --interval 1s, --max-rps 10), in Chromium:");
  for (const size of screenshot ? [20] : SIZES) await measure(size, size === 20 ? screenshot : undefined);
}

void main();
