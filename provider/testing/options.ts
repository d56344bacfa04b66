/** Options of {@link runOffline}. */
export interface OfflineOptions {
  /**
   * The Pulumi program: a path to its entry file or directory (as Pulumi.yaml's `main` names
   * it), or a function that declares the resources and returns the stack outputs.
   */
  program: string | (() => unknown);
  /** The project directory: where the provider host starts. @default the program's directory, else process.cwd() */
  cwd?: string;
  /** The API the resources are created on, normally an emulator's `url`. */
  apiUrl: string;
  apiKey: string;
  /** Console and log API URL. @default apiUrl */
  consoleApiUrl?: string;
  /** Stack config, e.g. `{ "tournament:file": "..." }`. Keys without a namespace get the project's. */
  config?: Record<string, string>;
  /** Config keys to treat as secrets. */
  secretKeys?: string[];
  /** @default "offline" */
  project?: string;
  /** @default "test" */
  stack?: string;
  /**
   * Poll interval of the provider's waits, in ms (`gameservers:pollIntervalMs`); `null` leaves it
   * unset, so the provider's own default applies, as under `pulumi up` without that config. @default 200
   */
  pollIntervalMs?: number | null;
  /** Receives every progress line the provider prints. @default none */
  log?: (line: string) => void;
  /**
   * At most this many resource operations (check then create, or a lookup's read) in flight at
   * once, as the engine's `--parallel` (whose default is 4 x the CPUs: 8 on a 2-core runner).
   * Operations wait for a slot in the order the program declared them. @default unbounded
   */
  parallel?: number;
  /**
   * Deadline of the whole run (program, creates, outputs), in seconds: past it the run fails, after
   * deleting what it created (servers whose create was still in flight included). @default none
   */
  timeoutSeconds?: number;
  /** Aborting it interrupts the run the same way as `timeoutSeconds`. */
  signal?: AbortSignal;
  /**
   * While the run is live (from the call until `destroy()`), SIGINT and SIGTERM delete what the
   * run created (servers whose create was still in flight included), stop the provider host and
   * exit the process with 130 or 143. A second signal exits at once. `false` leaves the signals to
   * you (use `signal` to interrupt the run). @default true
   */
  handleSignals?: boolean;
  /** Called as each resource moves through the run, with the time (epoch ms); for measurements and progress. */
  onResource?: (event: OfflineResourceEvent) => void;
}

/** One step of one resource in a run (see {@link OfflineOptions.onResource}). */
export interface OfflineResourceEvent {
  /**
   * `registered`: the program declared it; `started`: its operation got a slot (check begins);
   * `created` / `read`: the provider returned; `failed`: the operation failed. Components and
   * other non-dynamic resources only get `registered`.
   */
  kind: "registered" | "started" | "created" | "read" | "failed";
  type: string;
  name: string;
  /** The API's id, once known. */
  id?: string;
  error?: Error;
  /** When it happened, epoch ms. */
  at: number;
}

/** One resource the program declared. */
export interface OfflineResource {
  type: string;
  name: string;
  /** The API's id for our servers; undefined for components. */
  id: string | undefined;
  /** Inputs as the program declared them (secrets unwrapped). */
  inputs: Record<string, unknown>;
  /** Outputs after create (for our servers: from the provider, the API's real values). */
  outputs: Record<string, unknown>;
  /** A read-only lookup (`GameServer.get`): read, never created, never deleted. */
  lookup: boolean;
}

/** What a program did, offline. */
export interface OfflineRun {
  /** The stack outputs, with secret values in plain text (see `secretOutputs`). */
  outputs: Record<string, unknown>;
  /** Dotted paths of the outputs that are secrets, e.g. `roster.final-1.serverPassword`. */
  secretOutputs: string[];
  resources: OfflineResource[];
  /** Process id of the run's provider host (Pulumi's dynamic-provider host); it exits on `destroy()`. */
  hostPid: number | undefined;
  /**
   * Deletes every server the program created (newest first; lookups are left alone) and stops the
   * provider host. Throws, after trying every one, if some could not be deleted.
   */
  destroy(): Promise<void>;
}
