/**
 * The write-ahead record of creates: what a create's POST asked for, kept until the stack is seen
 * to hold the server it made, so a run killed in between still finds that server.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { CreateIntent } from "./fingerprint.js";

/**
 * One create in the journal: the stack and resource it belongs to, what its POST asked for, and,
 * once create answered the engine, the id it answered with.
 */
export interface JournalEntry {
  version: 2;
  /** `<organization>/<project>/<stack>` of the run that wrote it (the hidden `__stack` input). */
  stack: string;
  /** The resource within the stack: `name:<fixed name>` or `auto:<logical name>`. */
  key: string;
  intent: CreateIntent;
  /**
   * The id create answered the engine with. The engine writes it to its checkpoint only after
   * that answer, so the entry stays until a later operation on that id (diff, update, read,
   * delete) shows the stack holds it; a create that still finds it adopts that server.
   */
  answeredId?: string;
}

/**
 * A write-ahead record of creates, one small file per stack and resource in the Pulumi project
 * directory (the provider host's working directory), which every stack of the project shares.
 * An entry is written before the POST, marked with the id create answered, and removed once
 * the stack is seen to hold that id. An entry a create still finds means the provider host, or
 * the CLI before its checkpoint, was killed in between: the server may exist and be unknown to
 * the stack. A stack only ever reads its own entries. Holds no password, only the salted
 * fingerprint.
 */
export class Journal {
  readonly dir: string;
  #broken: Error | undefined;
  /** The directory, made once per process. */
  #made: Promise<unknown> | undefined;
  #writes = 0;

  /** @param dir @default `$GAMESERVERS_JOURNAL_DIR`, else `.gameservers/journal` in the working directory */
  constructor(dir?: string) {
    this.dir = dir ?? process.env.GAMESERVERS_JOURNAL_DIR ?? path.join(process.cwd(), ".gameservers", "journal");
  }

  /** Why the journal cannot be written (a read-only directory), once it failed. */
  get broken(): Error | undefined {
    return this.#broken;
  }

  /** The stack's entry for a resource; another stack's, or a malformed file, is never returned. */
  read(stack: string, key: string): JournalEntry | undefined {
    try {
      const entry = JSON.parse(readFileSync(this.#file(stack, key), "utf8")) as Partial<JournalEntry>;
      const intent = entry.intent;
      if (entry.version !== 2 || entry.stack !== stack || entry.key !== key || !isIntent(intent)) return undefined;
      return entry as JournalEntry;
    } catch {
      return undefined;
    }
  }

  /**
   * An entry written before stacks were told apart (keyed by the resource alone): it may be any
   * stack's, so nothing may be adopted or deleted on its word. It is moved aside to `legacy/`
   * (once, by whichever stack finds it first) and its intent returned, for the caller to report.
   */
  takeLegacy(key: string): CreateIntent | undefined {
    const file = path.join(this.dir, `${sha256(key).slice(0, 32)}.json`);
    let intent: unknown;
    try {
      intent = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      return undefined;
    }
    try {
      mkdirSync(path.join(this.dir, "legacy"), { recursive: true, mode: 0o700 });
      renameSync(file, path.join(this.dir, "legacy", path.basename(file)));
    } catch {
      rmSync(file, { force: true });
    }
    return isIntent(intent) ? intent : undefined;
  }

  /**
   * Records an intent durably enough for a killed process (written, then renamed into place).
   * Asynchronous, so a fleet's many creates write theirs side by side; each awaits its own before its POST.
   */
  async write(stack: string, key: string, intent: CreateIntent): Promise<void> {
    await this.#put(stack, key, { version: 2, stack, key, intent });
  }

  /** Create answered the engine with `id`: kept until the stack is seen to hold it ({@link settle}). */
  async answer(stack: string, key: string, intent: CreateIntent, id: string): Promise<void> {
    await this.#put(stack, key, { version: 2, stack, key, intent, answeredId: id });
  }

  /** The stack holds `id` (an operation on it came from the engine): an entry answered with it is done. */
  settle(stack: string, key: string, id: string): void {
    if (this.read(stack, key)?.answeredId === id) this.remove(stack, key);
  }

  remove(stack: string, key: string): void {
    rmSync(this.#file(stack, key), { force: true });
  }

  async #put(stack: string, key: string, entry: JournalEntry): Promise<void> {
    const file = this.#file(stack, key);
    const tmp = `${file}.${process.pid}.${++this.#writes}.tmp`;
    const put = async () => {
      await writeFile(tmp, JSON.stringify(entry), { mode: 0o600 });
      await rename(tmp, file);
    };
    try {
      this.#made ??= mkdir(this.dir, { recursive: true, mode: 0o700 });
      await this.#made;
      await put().catch(async (error: NodeJS.ErrnoException) => {
        // The directory went away since it was made: make it again, once.
        if (error.code !== "ENOENT") throw error;
        await mkdir(this.dir, { recursive: true, mode: 0o700 });
        await put();
      });
    } catch (error) {
      this.#made = undefined;
      this.#broken ??= error as Error;
    }
  }

  #file(stack: string, key: string): string {
    // Another name space than the entries of before (a hash of the key alone): they never collide.
    return path.join(this.dir, `s-${sha256(`${stack}\0${key}`).slice(0, 40)}.json`);
  }
}

function isIntent(value: unknown): value is CreateIntent {
  const v = value as Partial<CreateIntent> | undefined;
  return typeof v?.fingerprint === "string" && typeof v.sentAt === "number" && Array.isArray(v.keys) && typeof v.name === "string";
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
