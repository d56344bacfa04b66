import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, run } from "../helpers/provider-host.js";

const CHECK = `
  if (typeof GameServer !== "function") throw new Error("GameServer");
  if (typeof GameServersClient !== "function") throw new Error("GameServersClient");
  if (typeof startEmulator !== "function") throw new Error("startEmulator");
  const emulator = await startEmulator();
  const client = new GameServersClient({ apiKey: emulator.apiKey, baseUrl: emulator.url });
  const page = await client.gameServers.list();
  await client.close();
  await emulator.close();
  console.log("total=" + page.total);`;

describe("the package's entry points", () => {
  it("load from a CommonJS program", async () => {
    const script = `(async () => {
      const { GameServer } = require("pulumi-gameservers");
      const { GameServersClient } = require("pulumi-gameservers/sdk");
      const { startEmulator } = require("pulumi-gameservers/emulator");
      ${CHECK}
    })().catch((e) => { console.error(e); process.exit(1); });`;
    expect(await run(process.execPath, ["--no-warnings", "-e", script], ROOT)).toBe("total=0\n");
  });

  it("load from an ESM program with named imports", async () => {
    const script = `
      import { GameServer } from "pulumi-gameservers";
      import { GameServersClient } from "pulumi-gameservers/sdk";
      import { startEmulator } from "pulumi-gameservers/emulator";
      ${CHECK}`;
    expect(await run(process.execPath, ["--no-warnings", "--input-type=module", "-e", script], ROOT)).toBe("total=0\n");
  });

  it("links both commands at npm ci, before any build: each bin is a file of the clone", async () => {
    const { bin } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };
    const tracked = execFileSync("git", ["ls-files", ...Object.values(bin)], { cwd: ROOT, encoding: "utf8" })
      .trim()
      .split("\n");
    // npm skips a bin whose file is missing, and the package's link to itself comes before the build.
    expect(tracked.map((f) => path.normalize(f)).sort()).toEqual(
      Object.values(bin)
        .map((f) => path.normalize(f))
        .sort(),
    );
    // In this checkout, as `npm ci` linked them: they run.
    expect(await run(path.join(ROOT, "node_modules/.bin/gameservers"), ["--version"], ROOT)).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(await run(path.join(ROOT, "node_modules/.bin/gameservers-emulator"), ["--help"], ROOT)).toMatch(/Usage: gameservers-emulator/);
  });

  it("keep internals private: only the documented subpaths resolve", async () => {
    const script = `try { require("pulumi-gameservers/dist/sdk/client.js"); console.log("open"); } catch (e) { console.log(e.code); }`;
    expect(await run(process.execPath, ["-e", script], ROOT)).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED\n");
  });

  it("ships a bin that starts the emulator on loopback, prints a ready key and no warning, and stops on Ctrl-C", async () => {
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, ["dist/sdk/emulator/bin.js", "--port", "0"], { cwd: ROOT });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const out = await new Promise<string>((resolve) => {
      let text = "";
      child.stdout.on("data", (d) => {
        text += d;
        if (text.includes("GAMESERVERS_API_KEY=")) resolve(text);
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(out).toMatch(
      /listening on http:\/\/127\.0\.0\.1:\d+\nexport GAMESERVERS_API_URL=http:\/\/127\.0\.0\.1:\d+\nexport GAMESERVERS_API_KEY=gsk_emu_/,
    );
    expect(stderr).toBe("");
  });
});
