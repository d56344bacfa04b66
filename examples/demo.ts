/**
 * `npm run demo`: the tournament example on the local emulator, end to end.
 *
 * With a Pulumi CLI (`PULUMI_CLI`, `pulumi` on PATH, or the build `npm run setup:pulumi` caches):
 * a local file state backend and a passphrase secrets provider (no account), `pulumi preview`,
 * `pulumi up`, the roster, an update that adds one match server, `pulumi destroy`. Without one,
 * the same program runs through the offline runner instead, labelled as such. `--offline` goes
 * straight to the offline runner.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startEmulator } from "pulumi-gameservers/emulator";
import { GameServersClient } from "pulumi-gameservers/sdk";
import { runOffline } from "pulumi-gameservers/testing";
import { findPulumi, type PulumiCli } from "../scripts/pulumi/cli.ts";
import { PulumiProject } from "../scripts/pulumi/project.ts";

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

  try {
    if (offlineOnly) {
      console.log("--offline: running the program through the offline runner (no Pulumi CLI, no Pulumi state).");
      await offline(emulator, client);
      return;
    }
    heading("Looking for the Pulumi CLI (PULUMI_CLI, pulumi on PATH, or the build `npm run setup:pulumi` caches)");
    const cli = await findPulumi().catch((error: Error) => error);
    if (cli && !(cli instanceof Error)) await withCli(cli, emulator, client);
    else {
      const why = cli instanceof Error ? cli.message : "none found; `npm run setup:pulumi` builds one";
      console.log(
        `Pulumi CLI unavailable (${why}): running the same program through the offline runner instead (no Pulumi state is written).`,
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

async function withCli(cli: PulumiCli, emulator: { url: string; apiKey: string }, client: GameServersClient): Promise<void> {
  console.log(`${cli.bin} (${cli.version})`);
  // The state backend, PULUMI_HOME and a copy of tournament.yaml the update step edits, in .pulumi-demo/.
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const definition = path.join(WORK, "tournament.yaml");
  cpSync(path.join(TOURNAMENT, "tournament.yaml"), definition);
  const project = new PulumiProject(cli, TOURNAMENT, { root: WORK, passphrase: "demo-passphrase" });
  const pulumi = async (...args: string[]) => {
    const { code } = await project.run([...args, "--stack", STACK], { onOutput: (text) => process.stdout.write(text) });
    if (code !== 0) throw new Error(`pulumi ${args.join(" ")} failed (exit ${code})`);
  };
  heading("Stack `demo` on a local file backend with a passphrase secrets provider");
  await project.initStack(STACK);
  await project.configAll(
    STACK,
    { "gameservers:apiUrl": emulator.url, "gameservers:pollIntervalMs": "500", "tournament:file": definition },
    { "gameservers:apiKey": emulator.apiKey, "tournament:serverPassword": JOIN_PASSWORD },
  );
  try {
    heading("pulumi preview: what `pulumi up` will do (nothing is created yet)");
    await pulumi("preview");
    heading("pulumi up: the tournament from tournament.yaml");
    await pulumi("up", "--yes");
    await showRoster(project);

    heading("Update: one more group match in tournament.yaml; only that server is created");
    writeFileSync(definition, withOneMoreMatch(readFileSync(definition, "utf8")));
    await pulumi("up", "--yes");
    await showRoster(project);
    console.log(`servers on the emulator: ${(await client.gameServers.list()).total}`);
  } finally {
    heading("pulumi destroy");
    await pulumi("destroy", "--yes");
    await project.run(["stack", "rm", STACK, "--yes"]);
    console.log(`servers left on the emulator: ${(await client.gameServers.list()).total}`);
    await project.dispose();
  }
}

async function showRoster(project: PulumiProject): Promise<void> {
  const { code, stdout, stderr } = await project.run(["stack", "output", "roster", "--json", "--stack", STACK]);
  if (code !== 0) throw new Error(`pulumi stack output failed: ${stderr}`);
  heading("Roster (pulumi stack output roster)");
  printRoster(JSON.parse(stdout) as Record<string, RosterEntry>);
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
