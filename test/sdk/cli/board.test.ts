import { get } from "node:http";
import { PassThrough } from "node:stream";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { board } from "../../../sdk/cli/commands/board.js";
import type { Context } from "../../../sdk/cli/context.js";
import { FLEET_SERVERS_TYPE, GAME_SERVER_TYPE } from "../../../sdk/internal/pulumi.js";
import { CS2_CONFIG, cs2, useEmulator } from "../../helpers/emulator.js";

/** Debian's Chromium: the machine cannot download a browser (`.ci/run` installs it). */
const CHROMIUM = "/usr/bin/chromium";
const RCON = "rcon-Board-Secret-7731";

const env = useEmulator();
let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM });
});
afterAll(async () => {
  await browser?.close();
});

/** A running `gameservers board` in this process: its address, what it wrote, and a way to stop it. */
async function startBoard(args: string[], stdin = "") {
  const controller = new AbortController();
  let stdout = "";
  let stderr = "";
  const input = new PassThrough();
  input.end(stdin);
  let announce: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => {
    announce = resolve;
  });
  const ctx: Context = {
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    stdin: input,
    env: { GAMESERVERS_API_KEY: env.emulator.apiKey, GAMESERVERS_API_URL: env.emulator.url },
    signal: controller.signal,
    print: (line) => {
      stdout += `${line}\n`;
      const m = /^Board: (\S+)$/.exec(line);
      if (m) announce(m[1]!);
    },
    warn: (line) => {
      stderr += `${line}\n`;
    },
  };
  const exited = board.run(args, ctx).then(
    (code) => ({ code, error: undefined as unknown }),
    (error: unknown) => ({ code: undefined, error }),
  );
  const address = await Promise.race([url, exited.then((r) => Promise.reject(r.error ?? new Error(`exited ${r.code}`)))]);
  return {
    url: address,
    output: () => ({ stdout, stderr }),
    async stop() {
      controller.abort();
      return exited;
    },
  };
}

async function fleet(names: string[]) {
  const servers = [];
  for (const name of names) {
    servers.push(await env.client.gameServers.create({ ...cs2(name), configuration: { ...CS2_CONFIG, rconPassword: RCON } }));
  }
  return servers;
}

const tile = (page: Page, id: string) => page.locator(`.tile[data-id="${id}"]`);

describe("gameservers board", () => {
  it("shows the fleet live: status, players, map and console lines, and a status change within a second", async () => {
    const servers = await fleet(["cup-1", "cup-2", "cup-3", "other-1"]);
    await env.control.connect(servers[0]!.id, ["alice", "bob"]);
    const run = await startBoard(["--name", "cup-*", "--interval", "250ms"]);
    const page = await browser.newPage();
    const bodies: string[] = [];
    page.on("response", (res) => {
      if (!res.url().includes("/events"))
        void res.text().then(
          (t) => bodies.push(t),
          () => {},
        );
    });
    try {
      await page.goto(run.url);
      await expect.poll(() => page.locator(".tile").count()).toBe(3);
      const first = tile(page, servers[0]!.id);
      await expect.poll(() => first.locator(".players").textContent()).toBe("2 players");
      await expect.poll(() => first.locator(".map").textContent()).toBe("de_dust2");
      await expect.poll(() => first.locator(".where").textContent()).toBe(`us-east-1 · ${servers[0]!.ip}:${servers[0]!.port}`);
      expect(await first.getAttribute("data-status")).toBe("running");
      await env.control.connect(servers[0]!.id, ["carol"]);
      await expect.poll(() => first.locator(".players").textContent()).toBe("3 players");
      await expect.poll(() => first.locator(".lines").textContent()).toContain('Client "carol" connected');

      const started = Date.now();
      await env.control.stop(servers[1]!.id);
      await page.waitForSelector(`.tile[data-id="${servers[1]!.id}"][data-status="stopped"]`, { timeout: 1_000 });
      expect(Date.now() - started).toBeLessThan(1_000);
      const deleted = Date.now();
      await env.client.gameServers.delete(servers[2]!.id);
      await page.waitForSelector(`.tile[data-id="${servers[2]!.id}"][data-status="gone"]`, { timeout: 1_000 });
      expect(Date.now() - deleted).toBeLessThan(1_000);

      // Neither the API key nor a password ever reaches the page.
      const seen = (await page.content()) + bodies.join("\n");
      expect(seen).toContain("&lt;redacted&gt;");
      expect(seen).not.toContain(RCON);
      expect(seen).not.toContain(env.emulator.apiKey);
    } finally {
      await page.close();
      expect((await run.stop()).error).toMatchObject({ name: "InterruptedError" });
    }
  });

  it("opens a server's console: its history, then a command sent from the box and its echo", async () => {
    const [server] = await fleet(["cup-1"]);
    await env.client.console.sendCommand(server!.id, "say before the board");
    const run = await startBoard([]);
    const page = await browser.newPage();
    try {
      await page.goto(run.url);
      await tile(page, server!.id).click();
      await expect.poll(() => page.locator("#console-lines").textContent()).toContain("Console: before the board");
      await expect.poll(() => page.locator("#console-input").isEnabled()).toBe(true);
      await page.fill("#console-input", "say hello from the board");
      await page.click("#console-form button");
      await expect.poll(() => page.locator("#console-result").textContent()).toBe("sent");
      await expect.poll(() => page.locator("#console-lines").textContent()).toContain("> say hello from the board");
      const text = (await page.locator("#console-lines").textContent()) ?? "";
      expect(text.split("> say hello from the board").length - 1).toBe(1);
    } finally {
      await page.close();
      await run.stop();
    }
  });

  it("announces to every shown server once and shows each result", async () => {
    const servers = await fleet(["cup-1", "cup-2", "cup-3"]);
    await env.control.stop(servers[2]!.id);
    const run = await startBoard([]);
    const page = await browser.newPage();
    try {
      await page.goto(run.url);
      await expect.poll(() => page.locator(".tile").count()).toBe(3);
      await page.fill("#announce-input", "say Matches start in 10 minutes");
      await page.click("#announce-form button");
      await expect.poll(() => page.locator("#announce-summary").textContent()).toBe("Sent to 2 of 3 servers.");
      expect(await page.locator(`#announce-results tr[data-id="${servers[2]!.id}"] .result`).textContent()).toBe("failed");
      for (const s of servers.slice(0, 2)) {
        const log = await env.client.logs.latest(s.id);
        expect(log.content.split("> say Matches start in 10 minutes").length - 1).toBe(1);
      }
    } finally {
      await page.close();
      await run.stop();
    }
  });

  it("refuses requests without the run's token, with a wrong one, or from another origin", async () => {
    await fleet(["cup-1"]);
    const run = await startBoard([]);
    try {
      const url = new URL(run.url);
      const token = url.searchParams.get("token")!;
      expect(token).toMatch(/^[\w-]{32}$/);
      expect((await fetch(new URL("/", url))).status).toBe(403);
      expect((await fetch(new URL("/events?token=wrong", url))).status).toBe(403);
      expect((await fetch(new URL(`/board.js?token=${token}x`, url))).status).toBe(403);
      const post = (headers: Record<string, string>) =>
        fetch(new URL("/api/announce", url), {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: JSON.stringify({ command: "say x" }),
        });
      expect((await post({ "x-board-token": token, origin: "http://evil.example" })).status).toBe(403);
      expect((await post({ "x-board-token": token })).status).toBe(403);
      expect((await post({ origin: url.origin })).status).toBe(403);
      // A page of another site that rebinds its DNS name to this machine sends its own Host.
      const rebound = await new Promise<number | undefined>((resolve, reject) => {
        get(run.url, { headers: { host: `rebound.example:${url.port}` } }, (res) => {
          res.resume();
          resolve(res.statusCode);
        }).on("error", reject);
      });
      expect(rebound).toBe(403);
      const page = await browser.newPage();
      try {
        const res = await page.goto(`${url.origin}/?token=not-the-token`);
        expect(res?.status()).toBe(403);
        expect(await page.locator(".tile").count()).toBe(0);
      } finally {
        await page.close();
      }
    } finally {
      await run.stop();
    }
  });

  it("reads a stack: servers under their fleet keys and resource names, live servers no resource owns marked", async () => {
    const [a, b, solo, stray] = await fleet(["cup-a", "cup-b", "solo", "cup-x"]);
    const state = {
      version: 3,
      deployment: {
        resources: [
          {
            urn: `urn:pulumi:dev::p::gameservers:index:GameServerFleet$${FLEET_SERVERS_TYPE}::cup-servers`,
            type: FLEET_SERVERS_TYPE,
            id: "cup-servers",
            inputs: { fleet: "cup", servers: { a: { name: "cup-a", autoNamePrefix: "cup" }, b: { name: "cup-b" } } },
            outputs: { servers: { a: { id: a!.id, name: "cup-a" }, b: { id: b!.id, name: "cup-b" } } },
          },
          {
            urn: `urn:pulumi:dev::p::${GAME_SERVER_TYPE}::referee`,
            type: GAME_SERVER_TYPE,
            id: solo!.id,
            inputs: { name: "solo" },
            outputs: {},
          },
        ],
        pending_operations: [{ resource: { type: GAME_SERVER_TYPE, inputs: { name: "cup-x" } }, type: "creating" }],
      },
    };
    const run = await startBoard(["--state", "-"], JSON.stringify(state));
    const page = await browser.newPage();
    try {
      await page.goto(run.url);
      await expect.poll(() => page.locator(".tile").count()).toBe(4);
      const group = (name: string) => page.locator(`section.group[data-group="${name}"] .tile .name`).allTextContents();
      expect(await group("cup")).toEqual(["a · cup-a", "b · cup-b"]);
      expect(await group("referee")).toEqual(["solo"]);
      expect(await group("No resource owns these")).toEqual(["cup-x"]);
      expect(await tile(page, stray!.id).locator(".owner").textContent()).toBe("no resource owns it: pending create");
    } finally {
      await page.close();
      await run.stop();
    }
  });

  it("serves beyond loopback only with --allow-remote, and warns", async () => {
    await expect(startBoard(["--host", "0.0.0.0"])).rejects.toMatchObject({ name: "UsageError" });
    const run = await startBoard(["--host", "0.0.0.0", "--allow-remote"]);
    const { stderr } = run.output();
    await run.stop();
    expect(stderr).toContain("warning: the board is served on 0.0.0.0");
  });
});
