/**
 * Runs that are live (from runOffline's call until destroy): SIGINT and SIGTERM delete what they
 * created before the process exits, and a script that exits without destroying them gets them
 * destroyed at `beforeExit`.
 */
import { constants as osConstants } from "node:os";
import type { LiveRun } from "./live-run.js";

/** The signals a live run answers (see {@link OfflineOptions.handleSignals}). */
const SIGNALS = ["SIGINT", "SIGTERM"] as const;

const liveRuns = new Set<LiveRun>();
let signalled = false;
/** Listens for the signals while some live run handles them, and for `beforeExit` while any run is live. */
export function track(run: LiveRun): void {
  liveRuns.add(run);
  listen();
}

export function untrack(run: LiveRun): void {
  liveRuns.delete(run);
  listen();
}

function listen(): void {
  const signals = [...liveRuns].some((r) => r.options.handleSignals !== false);
  for (const signal of SIGNALS) {
    process.off(signal, onSignal);
    if (signals) process.on(signal, onSignal);
  }
  process.off("beforeExit", onBeforeExit);
  if (liveRuns.size > 0) process.on("beforeExit", onBeforeExit);
}

function onSignal(signal: NodeJS.Signals): void {
  const code = 128 + (osConstants.signals[signal] ?? 1);
  const runs = [...liveRuns].filter((r) => r.options.handleSignals !== false);
  if (runs.length === 0) return;
  if (signalled) {
    // A second signal: stop waiting for the cleanup.
    for (const r of liveRuns) if (r.host.pid !== undefined && !r.host.exited) process.kill(r.host.pid, "SIGKILL");
    process.exit(code);
  }
  signalled = true;
  process.stderr.write(`runOffline: ${signal}: deleting what the run created, then exiting (${signal} again exits at once)\n`);
  for (const r of runs) {
    r.exiting = true;
    r.interrupt(new Error(`runOffline: interrupted by ${signal}`));
  }
  void Promise.all(runs.map((r) => r.cleanup())).then((all) => {
    const problems = all.flat();
    if (problems.length > 0) process.stderr.write(`runOffline: left behind:\n  - ${problems.join("\n  - ")}\n`);
    process.exit(code);
  });
}

function onBeforeExit(): void {
  const runs = [...liveRuns];
  process.stderr.write(
    `runOffline: the process is exiting with ${runs.length} run(s) never destroyed: destroying them (call run.destroy() yourself)\n`,
  );
  for (const r of runs) {
    r.interrupt(new Error("runOffline: the process was about to exit before the run finished"));
    void r.cleanup().then((problems) => {
      if (problems.length > 0) process.stderr.write(`runOffline: left behind:\n  - ${problems.join("\n  - ")}\n`);
    });
  }
}
