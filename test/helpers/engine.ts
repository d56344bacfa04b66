import { HostError, type ProviderHost } from "./provider-host.js";

type Props = Record<string, unknown>;

/**
 * One resource of a program, as its class sends it (before check). `inputs` may depend on what
 * earlier resources output (a fleet's roster lists its servers' ids): the engine resolves it
 * once those ran, and skips the resource when one of them is missing (a failed dependency).
 */
export interface DeclaredServer {
  name: string;
  inputs: Props | ((state: StateEntry[]) => Props | undefined);
  /** The resource type's serialized provider. @default the engine's (GameServer's) */
  provider?: string;
}

/** One resource in state, as the engine keeps it. */
export interface StateEntry {
  name: string;
  id: string;
  inputs: Props;
  outputs: Props;
  /** Created but not ready (ErrorResourceInitFailed): the next up calls update even without a diff. */
  initErrors: boolean;
  /** A replaced resource whose delete failed: the next up deletes it first. */
  pendingDelete: boolean;
}

/**
 * The engine's steps for GameServer resources, in the order and shapes `pulumi up`, `refresh`
 * and `destroy` call the provider (check with olds, diff against old outputs, create-before-
 * delete unless the provider asks otherwise, init failures kept in state), driven against
 * Pulumi's own dynamic-provider host. Resources run one after another; a failed step fails the
 * run and leaves state as the engine would.
 *
 * What the real engine does that this model leaves out (test/real-engine/ checks each with the
 * real CLI): a preview, where an update of a dynamic provider's resource returns its new inputs
 * as outputs (refresh-import.test.ts); up to `--parallel` operations at once; a stack lock that a
 * killed CLI leaves for `pulumi cancel`, and pending creates kept in the state until
 * `refresh --clear-pending-creates` (interrupted.test.ts); plugins in process groups of their
 * own, so a provider host outlives a killed CLI; a destroy configures the provider from the
 * state, not the current stack config (live-match.test.ts). A lost checkpoint is modelled by dropping a
 * create's answer (the fault matrix's "lost checkpoint" scenarios).
 */
export class MiniEngine {
  state: StateEntry[] = [];
  /** Every error of the last run. */
  errors: string[] = [];
  /** Every error of every run, and every output the engine would show: what a user sees. */
  readonly shown: string[] = [];

  constructor(
    public host: ProviderHost,
    readonly provider: string,
  ) {}

  /** `pulumi up`: true when every step succeeded. */
  async up(program: DeclaredServer[]): Promise<boolean> {
    this.errors = [];
    try {
      return await this.#up(program);
    } finally {
      this.#record();
    }
  }

  /** What a user sees of a run: its errors, and the outputs not marked secret. */
  #record(): void {
    this.shown.push(...this.errors);
    for (const e of this.state) {
      // What the resource types mark secret (additionalSecretOutputs), and the intent of an unresolved create.
      const { rconPassword: _r, serverPassword: _s, passwords: _p, createIntent: _c, ...visible } = e.outputs;
      this.shown.push(JSON.stringify(visible));
    }
  }

  async #up(program: DeclaredServer[]): Promise<boolean> {
    for (const entry of this.state.filter((e) => e.pendingDelete)) await this.#delete(entry);
    for (const declared of program) {
      const declaredInputs = typeof declared.inputs === "function" ? declared.inputs(this.state) : declared.inputs;
      if (!declaredInputs) {
        this.errors.push(`${declared.name}: skipped, a resource it depends on failed`);
        continue;
      }
      const news = { ...declaredInputs, __provider: declared.provider ?? this.provider };
      const current = this.state.find((e) => e.name === declared.name && !e.pendingDelete);
      if (!current) {
        await this.#create(declared.name, news);
        continue;
      }
      const checked = await this.#check(declared.name, current.inputs, news);
      if (!checked) continue;
      let diff: Awaited<ReturnType<ProviderHost["diff"]>>;
      try {
        diff = await this.host.diff(declared.name, current.id, current.outputs, checked);
      } catch (error) {
        this.errors.push(`diff ${declared.name}: ${(error as Error).message}`);
        continue;
      }
      if (diff.replaces.length > 0) {
        if (diff.deleteBeforeReplace) {
          if (!(await this.#delete(current))) continue;
          await this.#create(declared.name, news);
        } else {
          current.pendingDelete = true;
          const created = await this.#create(declared.name, news);
          // A replacement that failed outright leaves the old one as it was; one created but not
          // ready (init errors) is in state, and the old one is deleted at the start of the next up.
          if (created === "failed") current.pendingDelete = false;
          if (created === "created") await this.#delete(current);
        }
      } else if (diff.changes === "some" || current.initErrors) {
        await this.#update(current, checked);
      }
    }
    for (const entry of [...this.state]) {
      if (!program.some((d) => d.name === entry.name)) await this.#delete(entry);
    }
    return this.errors.length === 0;
  }

  /** `pulumi refresh`: read every resource; a blank id drops it. */
  async refresh(): Promise<boolean> {
    this.errors = [];
    try {
      return await this.#refresh();
    } finally {
      this.#record();
    }
  }

  async #refresh(): Promise<boolean> {
    for (const entry of [...this.state]) {
      try {
        const read = await this.host.read(entry.name, entry.id, entry.outputs);
        if (!read.id) this.state = this.state.filter((e) => e !== entry);
        else entry.outputs = { ...read.props, __provider: entry.outputs.__provider ?? this.provider };
      } catch (error) {
        this.errors.push(`read ${entry.name}: ${(error as Error).message}`);
      }
    }
    return this.errors.length === 0;
  }

  /** `pulumi destroy`. */
  async destroy(): Promise<boolean> {
    this.errors = [];
    for (const entry of [...this.state].reverse()) await this.#delete(entry);
    this.#record();
    return this.errors.length === 0;
  }

  async #check(name: string, olds: Props, news: Props): Promise<Props | undefined> {
    try {
      const { inputs, failures } = await this.host.check(name, olds, news);
      if (failures.length === 0) return inputs;
      this.errors.push(`check ${name}: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
    } catch (error) {
      this.errors.push(`check ${name}: ${(error as Error).message}`);
    }
    return undefined;
  }

  async #create(name: string, news: Props): Promise<"created" | "init-failed" | "failed"> {
    // On a replacement the engine checks again with no olds: defaults and auto-names afresh.
    const inputs = await this.#check(name, {}, news);
    if (!inputs) return "failed";
    try {
      const { id, outs } = await this.host.create(name, inputs);
      this.state.push({ name, id, inputs, outputs: outs, initErrors: false, pendingDelete: false });
      return "created";
    } catch (error) {
      this.errors.push(`create ${name}: ${(error as Error).message}`);
      const failure = error instanceof HostError ? error.initFailure : undefined;
      if (!failure) return "failed";
      this.state.push({ name, id: failure.id, inputs, outputs: failure.properties, initErrors: true, pendingDelete: false });
      return "init-failed";
    }
  }

  async #update(entry: StateEntry, news: Props): Promise<void> {
    try {
      entry.outputs = await this.host.update(entry.name, entry.id, entry.outputs, news);
      entry.inputs = news;
      entry.initErrors = false;
    } catch (error) {
      const failure = error instanceof HostError ? error.initFailure : undefined;
      if (failure) {
        entry.outputs = failure.properties;
        entry.inputs = news;
        entry.initErrors = true;
      }
      this.errors.push(`update ${entry.name}: ${(error as Error).message}`);
    }
  }

  async #delete(entry: StateEntry): Promise<boolean> {
    try {
      await this.host.delete(entry.name, entry.id, entry.outputs);
      this.state = this.state.filter((e) => e !== entry);
      return true;
    } catch (error) {
      this.errors.push(`delete ${entry.name}: ${(error as Error).message}`);
      return false;
    }
  }
}
