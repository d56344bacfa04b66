import { type ChildProcess, spawn } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import type * as grpcTypes from "@grpc/grpc-js";
import { GAME_SERVER_TYPE, UNKNOWN } from "../../sdk/internal/index.js";
import { grpc, HostError, initFailureOf, proto, pulumiRequire, Struct, services } from "./host-protocol.js";

export { HostError, type InitFailure } from "./host-protocol.js";

/** The value the engine sends for an unknown (preview): give it as an input to check or diff as a preview would. */
export { UNKNOWN };

/** The URN a GameServer named `name` has in stack `stack` of project `project`, as the engine sends it with every call. */
export function urnOf(name: string, project = "test", stack = "dev"): string {
  return `urn:pulumi:${stack}::${project}::${GAME_SERVER_TYPE}::${name}`;
}

type Props = Record<string, unknown>;

/**
 * Preloaded into the host: it exits when its stdin pipe closes, i.e. when the process that
 * started it is gone, even after a SIGKILL. The host's own code is Pulumi's, unchanged.
 */
const EXIT_WITH_PARENT = `data:text/javascript,${encodeURIComponent(
  "process.stdin.on('end', () => process.exit(0)); process.stdin.on('error', () => process.exit(0)); process.stdin.resume();",
)}`;

/**
 * Pulumi's own dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`), started as the
 * engine starts it (plain node, cwd = the project directory), and called over gRPC in the
 * request shapes the engine sends. This is the exact code that runs our provider under `pulumi up`.
 */
export class ProviderHost {
  /** Everything the host printed (progress lines reach `pulumi up` from here). */
  output = "";
  // biome-ignore lint/suspicious/noExplicitAny: generated gRPC client
  #client: any;
  #inFlight = 0;
  #stopping = false;

  private constructor(readonly child: ChildProcess) {}

  /**
   * The output once it holds `text`, or as it is after `timeoutMs`. A line the host printed
   * during a call can arrive after the call's answer: its stdout and the gRPC socket are not
   * ordered with each other.
   */
  async outputWith(text: string, timeoutMs = 2_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    while (!this.output.includes(text) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    return this.output;
  }

  /**
   * Starts the host as the engine does: plain node (this process's), `cwd` = the Pulumi project
   * directory, whose node_modules must resolve `pulumi-gameservers`.
   *
   * Its lifetime is this process's: it runs in its own process group (a Ctrl-C in the terminal
   * reaches only this process, which decides what the host does before it stops), it exits when
   * this process dies however it dies (a preloaded guard watches its stdin pipe, which closes
   * then), and it never keeps this process alive: the child and its pipes are referenced only
   * while a call is in flight (or while it starts), so a script that never calls {@link stop} still exits.
   */
  static async start(cwd: string, env: NodeJS.ProcessEnv = {}): Promise<ProviderHost> {
    const host = ProviderHost.launch(cwd, env);
    await host.ready;
    return host;
  }

  /**
   * Like {@link start}, but returns at once: calls wait until the host is up (`ready`), so the
   * host's start (most of a second: it loads Pulumi) overlaps other work, as the engine starts
   * its provider plugin while the program runs.
   */
  static launch(cwd: string, env: NodeJS.ProcessEnv = {}): ProviderHost {
    const entry = pulumiRequire.resolve("./cmd/dynamic-provider/index.js");
    const child = spawn(process.execPath, ["--no-warnings", "--import", EXIT_WITH_PARENT, entry, "127.0.0.1:1"], {
      cwd,
      // Node's compile cache keeps the host's start (it loads all of Pulumi) about a third shorter
      // from the second run on; the host writes it when it exits gracefully (see stop).
      env: {
        NODE_COMPILE_CACHE: path.join(tmpdir(), "pulumi-gameservers-node-cache"),
        ...process.env,
        PULUMI_NODEJS_PROJECT: "test",
        ...env,
      },
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    const host = new ProviderHost(child);
    const port = new Promise<number>((resolve, reject) => {
      let first = true;
      // A spawn failure (a missing cwd: ENOENT) is an error event: without a listener it would crash the process.
      child.once("error", (error) => reject(new Error(`provider host could not start in ${cwd}: ${error.message}`, { cause: error })));
      child.stdin!.on("error", () => undefined);
      child.stdout!.on("data", (d: Buffer) => {
        const text = d.toString();
        if (first) {
          first = false;
          resolve(Number(text.trim().split("\n")[0]));
          host.output += text.split("\n").slice(1).join("\n");
        } else {
          host.output += text;
        }
      });
      child.stderr!.on("data", (d: Buffer) => (host.output += d.toString()));
      child.on("exit", (code, signal) => reject(new Error(`provider host exited ${code ?? signal}: ${host.output}`)));
    });
    host.ready = port.then((p) => {
      host.#client = new services.ResourceProviderClient(`127.0.0.1:${p}`, grpc.credentials.createInsecure());
      if (host.#inFlight === 0) host.#setReferenced(false);
    });
    // A start that fails rejects every call (and `start`); nobody may be awaiting it yet.
    host.ready.catch(() => undefined);
    return host;
  }

  /** Resolves when the host is up and its client connected; rejects when it could not start. */
  ready: Promise<void> = Promise.resolve();

  /** The host's process id, or undefined if it could not be spawned. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the host process has exited. */
  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /**
   * Stops the host and waits until it has exited: gracefully (its stdin closes, and its guard
   * exits, flushing Node's compile cache), else SIGTERM after a second; SIGKILL with `force`.
   */
  async stop(force = false): Promise<void> {
    this.#stopping = true;
    this.#client?.close();
    if (!this.exited && this.child.pid !== undefined) {
      // Referenced again, or this process could exit before the host's exit is seen.
      this.#setReferenced(true);
      const exited = new Promise((r) => this.child.once("exit", r));
      if (force) this.child.kill("SIGKILL");
      else {
        this.child.stdin?.end();
        const timer = setTimeout(() => this.child.kill("SIGTERM"), 1_000);
        await exited;
        clearTimeout(timer);
      }
      await exited;
    }
    this.child.stdin?.destroy();
  }

  /** Keeps this process alive for the host, or not: only while calls are in flight. */
  #setReferenced(referenced: boolean): void {
    for (const handle of [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as ({
      ref?(): void;
      unref?(): void;
    } | null)[]) {
      if (referenced) handle?.ref?.();
      else handle?.unref?.();
    }
  }

  #call<T>(method: string, request: unknown): Promise<T> {
    if (this.#inFlight++ === 0) this.#setReferenced(true);
    return this.ready
      .then(
        () =>
          new Promise<T>((resolve, reject) => {
            this.#client[method](request, (error: grpcTypes.ServiceError | null, response: T) => {
              if (!error) return resolve(response);
              reject(new HostError(error.details ?? error.message, initFailureOf(error)));
            });
          }),
      )
      .finally(() => {
        if (--this.#inFlight === 0 && !this.#stopping) this.#setReferenced(false);
      });
  }

  /** Configure, as the engine sends it first: stack config as `args`. */
  async configure(config: Record<string, string>): Promise<void> {
    const req = new proto.ConfigureRequest();
    req.setArgs(Struct.fromJavaScript(config));
    req.setAcceptsecrets(true);
    await this.#call("configure", req);
  }

  async check(name: string, olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
    const req = new proto.CheckRequest();
    req.setUrn(urnOf(name));
    req.setOlds(Struct.fromJavaScript(olds as never));
    req.setNews(Struct.fromJavaScript(news as never));
    const res = await this.#call<{ getInputs(): Struct; getFailuresList(): { getProperty(): string; getReason(): string }[] }>(
      "check",
      req,
    );
    return {
      inputs: res.getInputs().toJavaScript() as Props,
      failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  /** Diff: `olds` are the old OUTPUTS, as the engine sends them. */
  async diff(
    name: string,
    id: string,
    olds: Props,
    news: Props,
  ): Promise<{ changes: "some" | "none" | "unknown"; replaces: string[]; deleteBeforeReplace: boolean }> {
    const req = new proto.DiffRequest();
    req.setId(id);
    req.setUrn(urnOf(name));
    req.setOlds(Struct.fromJavaScript(olds as never));
    req.setNews(Struct.fromJavaScript(news as never));
    const res = await this.#call<{ getChanges(): number; getReplacesList(): string[]; getDeletebeforereplace(): boolean }>("diff", req);
    const C = proto.DiffResponse.DiffChanges;
    const changes = res.getChanges() === C.DIFF_SOME ? "some" : res.getChanges() === C.DIFF_NONE ? "none" : "unknown";
    return { changes, replaces: res.getReplacesList(), deleteBeforeReplace: res.getDeletebeforereplace() };
  }

  async create(name: string, props: Props): Promise<{ id: string; outs: Props }> {
    const req = new proto.CreateRequest();
    req.setUrn(urnOf(name));
    req.setProperties(Struct.fromJavaScript(props as never));
    const res = await this.#call<{ getId(): string; getProperties(): Struct }>("create", req);
    return { id: res.getId(), outs: res.getProperties().toJavaScript() as Props };
  }

  /** Read as refresh sends it (`properties` = prior outputs), or as a get sends it (only `inputs`). */
  async read(
    name: string,
    id: string,
    props: Props | undefined,
    inputs?: Props,
  ): Promise<{ id: string; props: Props; inputs: Props | undefined }> {
    const req = new proto.ReadRequest();
    req.setId(id);
    req.setUrn(urnOf(name));
    if (props) req.setProperties(Struct.fromJavaScript(props as never));
    if (inputs) req.setInputs(Struct.fromJavaScript(inputs as never));
    const res = await this.#call<{ getId(): string; getProperties(): Struct | undefined; getInputs(): Struct | undefined }>("read", req);
    return {
      id: res.getId(),
      props: (res.getProperties()?.toJavaScript() ?? {}) as Props,
      inputs: res.getInputs()?.toJavaScript() as Props | undefined,
    };
  }

  async update(name: string, id: string, olds: Props, news: Props): Promise<Props> {
    const req = new proto.UpdateRequest();
    req.setId(id);
    req.setUrn(urnOf(name));
    req.setOlds(Struct.fromJavaScript(olds as never));
    req.setNews(Struct.fromJavaScript(news as never));
    const res = await this.#call<{ getProperties(): Struct }>("update", req);
    return res.getProperties().toJavaScript() as Props;
  }

  async delete(name: string, id: string, props: Props): Promise<void> {
    const req = new proto.DeleteRequest();
    req.setId(id);
    req.setUrn(urnOf(name));
    req.setProperties(Struct.fromJavaScript(props as never));
    await this.#call("delete", req);
  }
}
