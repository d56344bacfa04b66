/**
 * `npm run demo`: the tournament example on the local emulator, end to end.
 *
 * With the Pulumi CLI (the official `pulumi` npm package installs it on first use): a local file
 * state backend and a passphrase secrets provider (no account), `pulumi up`, the roster, an
 * update that adds one match server, `pulumi destroy`. Where the CLI cannot be had (no
 * internet), the same program runs through the offline runner instead, labelled as such.
 * `--offline` goes straight to the offline runner.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startEmulator } from "pulumi-gameservers/emulator";
import { GameServersClient } from "pulumi-gameservers/sdk";
import { runOffline } from "pulumi-gameservers/testing";

const ROOT = path.resolve(import.meta.dirname, "..");
const WORK = path.join(ROOT, ".pulumi-demo");
const TOURNAMENT = path.join(ROOT, "examples/tournament");
const STACK = "demo";
const JOIN_PASSWORD = "winter-cup-demo";

interface RosterEntry {
  name: string;
  region: string;
  connectUrl: string | null;
  ip: string | null;
  port: number | null;
}

function heading(text: string): void {
  console.log(`\n=== ${text}`);
}

function printRoster(roster: Record<string, RosterEntry>): void {
  const rows = Object.entries(roster).map(([key, e]) => [key, e.region, `${e.ip}:${e.port}`, e.connectUrl ?? "-", "[secret]"]);
  const header = ["match", "region", "address", "connect", "password"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row.map(String)));
}

/** Runs a command with inherited output; resolves with its exit code. */
function sh(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { quiet?: boolean; cwd?: string } = {},
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env, stdio: ["ignore", options.quiet ? "pipe" : "inherit", "pipe"] });
    let out = "";
    child.stdout?.on("data", (d) => (out += d));
    child.stderr?.on("data", (d) => {
      out += d;
      if (!options.quiet) process.stderr.write(d);
    });
    child.on("error", (e) => resolve({ code: 127, out: e.message }));
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

async function pulumiAvailable(env: NodeJS.ProcessEnv): Promise<{ ok: boolean; why: string }> {
  const { code, out } = await sh("pulumi", ["version"], env, { quiet: true });
  const firstLine = out.trim().split("\n").at(-1) ?? "";
  return code === 0 ? { ok: true, why: firstLine } : { ok: false, why: firstLine || `exit ${code}` };
}

/** A copy of tournament.yaml with one more match in the first stage: the update to show. */
function withOneMoreMatch(source: string): string {
  return source.replace(/(- name: groups\n\s+matches: )(\d+)/, (_, head: string, n: string) => `${head}${Number(n) + 1}`);
}

/**
 * Pulumi's closure serializer requires every built-in module to recognise them in closures, and on
 * Node.js 26 loading `node:ffi` prints "ExperimentalWarning: FFI is an experimental feature". The
 * demo uses no FFI: that one warning is dropped, every other warning still prints.
 */
function dropFfiWarning(): void {
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === "string" ? warning : warning.message;
    if (text.startsWith("FFI is an experimental feature")) return;
    return (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
}

async function main(): Promise<void> {
  dropFfiWarning();
  const offlineOnly = process.argv.includes("--offline");
  heading("Starting the hosting API emulator");
  const emulator = await startEmulator({ bootDelayMs: 1500 });
  console.log(`emulator at ${emulator.url} (servers take 1.5 s to boot: allocating -> starting -> running)`);
  const client = new GameServersClient({ apiKey: emulator.apiKey, baseUrl: emulator.url });

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${path.join(WORK, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "demo-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
    // The program runs in node processes the CLI starts: the FFI warning (see dropFfiWarning) cannot
    // be dropped alone there, so experimental-feature warnings are off in those processes only.
    NODE_OPTIONS: [process.env.NODE_OPTIONS, "--disable-warning=ExperimentalWarning"].filter(Boolean).join(" "),
  };

  try {
    if (offlineOnly) {
      console.log("--offline: running the program through the offline runner (no Pulumi CLI, no Pulumi state).");
      await offline(emulator, client);
      return;
    }
    heading("Looking for the Pulumi CLI (the `pulumi` npm package installs it on first use)");
    const cli = await pulumiAvailable(env);
    if (cli.ok) await withCli(env, emulator, client);
    else {
      console.log(
        `Pulumi CLI unavailable (${cli.why.slice(0, 160)}): running the same program through the offline runner instead (no Pulumi state is written).`,
      );
      await offline(emulator, client);
    }
  } finally {
    await client.close();
    await emulator.close();
    // The state backend and the edited copy of tournament.yaml: nothing of the demo is left behind.
    rmSync(WORK, { recursive: true, force: true });
  }
}

async function withCli(env: NodeJS.ProcessEnv, emulator: { url: string; apiKey: string }, client: GameServersClient): Promise<void> {
  // A local file state backend and a copy of tournament.yaml the update step edits, in .pulumi-demo/.
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(path.join(WORK, "state"), { recursive: true });
  const definition = path.join(WORK, "tournament.yaml");
  cpSync(path.join(TOURNAMENT, "tournament.yaml"), definition);
  const pulumi = async (...args: string[]) => {
    const { code } = await sh("pulumi", [...args, "--stack", STACK], env);
    if (code !== 0) throw new Error(`pulumi ${args.join(" ")} failed (exit ${code})`);
  };
  heading("Stack `demo` on a local file backend with a passphrase secrets provider");
  const init = await sh("pulumi", ["stack", "init", STACK, "--secrets-provider", "passphrase"], env);
  if (init.code !== 0) throw new Error("pulumi stack init failed");
  await pulumi("config", "set", "gameservers:apiUrl", emulator.url);
  await pulumi("config", "set", "--secret", "gameservers:apiKey", emulator.apiKey);
  await pulumi("config", "set", "gameservers:pollIntervalMs", "500");
  await pulumi("config", "set", "--secret", "tournament:serverPassword", JOIN_PASSWORD);
  await pulumi("config", "set", "tournament:file", definition);
  try {
    heading("pulumi up: the tournament from tournament.yaml");
    await pulumi("up", "--yes");
    await showRoster(env);

    heading("Update: one more group match in tournament.yaml; only that server is created");
    writeFileSync(definition, withOneMoreMatch(readFileSync(definition, "utf8")));
    await pulumi("up", "--yes");
    await showRoster(env);
    console.log(`servers on the emulator: ${(await client.gameServers.list()).total}`);
  } finally {
    heading("pulumi destroy");
    await pulumi("destroy", "--yes");
    await sh("pulumi", ["stack", "rm", STACK, "--yes"], env);
    console.log(`servers left on the emulator: ${(await client.gameServers.list()).total}`);
  }
}

async function showRoster(env: NodeJS.ProcessEnv): Promise<void> {
  const { code, out } = await sh("pulumi", ["stack", "output", "roster", "--json", "--stack", STACK], env, { quiet: true });
  if (code !== 0) throw new Error(`pulumi stack output failed: ${out}`);
  heading("Roster (pulumi stack output roster)");
  printRoster(JSON.parse(out) as Record<string, RosterEntry>);
}

async function offline(emulator: { url: string; apiKey: string }, client: GameServersClient): Promise<void> {
  heading("OFFLINE RUNNER: examples/tournament against the emulator (no Pulumi CLI, no state)");
  const run = await runOffline({
    program: TOURNAMENT,
    cwd: ROOT,
    project: "tournament",
    apiUrl: emulator.url,
    apiKey: emulator.apiKey,
    pollIntervalMs: 500,
    config: { "tournament:serverPassword": JOIN_PASSWORD },
    secretKeys: ["tournament:serverPassword"],
    log: (line) => console.log(line),
  });
  try {
    heading(`Roster (stack output \`roster\`; ${run.secretOutputs.length} secret values hidden)`);
    printRoster(run.outputs.roster as Record<string, RosterEntry>);
    const servers = (await client.gameServers.list()).items;
    console.log(`\n${servers.length} servers on the emulator, ${servers.filter((s) => s.status === "running").length} running`);
    console.log("(The update step needs Pulumi's state and diff: with the CLI, the demo adds one match server here.)");
  } finally {
    heading("Teardown");
    await run.destroy();
    console.log(`servers left on the emulator: ${(await client.gameServers.list()).total}`);
  }
}

main().catch((error: unknown) => {
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
