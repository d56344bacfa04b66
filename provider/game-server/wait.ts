/** Waiting for a created (or resumed) GameServer to run, and what the end of the wait leaves. */
import { type GameServer, NotFoundError } from "../../sdk/index.js";
import { callOptions, connect, log } from "../core/context.js";
import type { WaitOutcome } from "../core/watcher.js";
import type { Props } from "../shared/inputs.js";
import { initFailed, labelOf } from "./failures.js";
import type { ProviderInputs } from "./inputs.js";
import { type ProviderOutputs, toOutputs } from "./outputs.js";

export function waitUntilRunning(server: GameServer, inputs: ProviderInputs): Promise<WaitOutcome> {
  const { watcher } = connect();
  const label = labelOf(server.name, server.id);
  log(label, `${server.status}; waiting up to ${inputs.readyTimeoutSeconds} s for it to run`);
  let reported = server.status;
  let transientLogged = false;
  return watcher.wait(server.id, {
    deadline: Date.now() + inputs.readyTimeoutSeconds * 1000,
    server,
    onChange: (s, previous, elapsedMs) => {
      if (previous === undefined && s.status === reported) return;
      const attempts = s.allocationAttempts ? `, allocation attempt ${s.allocationAttempts}` : "";
      const why = s.lastAllocationError && s.status !== "running" ? `: ${s.lastAllocationError}` : "";
      log(label, `${reported} -> ${s.status} (${Math.round(elapsedMs / 1000)} s${attempts})${why}`);
      reported = s.status;
    },
    onTransientError: (error) => {
      if (transientLogged) return;
      transientLogged = true;
      log(label, `polling failed (${error.message}); still waiting`);
    },
  });
}

/** Turns the end of a wait into outputs, or into the error that leaves state consistent. */
export async function settle(
  outcome: WaitOutcome,
  server: GameServer,
  inputs: ProviderInputs,
  raw: Props,
  phase: "create" | "update",
): Promise<ProviderOutputs> {
  const label = labelOf(server.name, server.id);
  switch (outcome.kind) {
    case "running":
      log(label, `running at ${outcome.server.connectUrl ?? `${outcome.server.ip}:${outcome.server.port}`}`);
      return toOutputs(outcome.server, inputs);
    case "timeout": {
      const last = outcome.server ?? server;
      throw initFailed(
        `${label} is still ${outcome.lastStatus} after ${inputs.readyTimeoutSeconds} s (readyTimeoutSeconds). ` +
          "It stays in the stack, and the next `pulumi up` resumes waiting for it.",
        last,
        inputs,
        raw,
      );
    }
    case "gone":
      throw new Error(`${label} disappeared while starting: it was deleted outside Pulumi`);
    case "failed": {
      const failed = outcome.server;
      const why = `${failed.status} after ${failed.allocationAttempts} allocation attempt${failed.allocationAttempts === 1 ? "" : "s"}${
        failed.lastAllocationError ? `: ${failed.lastAllocationError}` : ""
      }`;
      if (phase === "update") {
        throw initFailed(`${label} is ${why}. The next \`pulumi up\` replaces it.`, failed, inputs, raw);
      }
      try {
        await connect().client.gameServers.delete(failed.id, callOptions(inputs));
      } catch (error) {
        if (!(error instanceof NotFoundError)) {
          throw initFailed(
            `${label} is ${why}. Deleting the failed server also failed (${(error as Error).message}); it stays in the stack so \`pulumi destroy\` or the next \`pulumi up\` can remove it.`,
            failed,
            inputs,
            raw,
          );
        }
      }
      throw new Error(`${label} is ${why}. The failed server was deleted; nothing is left behind.`);
    }
  }
}
