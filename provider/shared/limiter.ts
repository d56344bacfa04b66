/**
 * At most `limit` tasks at once, first come first served: a slot freed passes straight to the
 * next in line. The fleet's parts share one in the provider host (so the part that started first
 * returns first), and the offline runner models the engine's `--parallel` with one.
 */
export class Limiter {
  #free: number;
  readonly #waiting: ((ok: boolean) => void)[] = [];
  #closed = false;

  /** @param limit slots; `Infinity` for none */
  constructor(readonly limit: number) {
    this.#free = limit;
  }

  /** Takes a slot, waiting for one in line; `false` once {@link close}d (no slot is then held). */
  acquire(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Gives a slot back: to the next in line, else to the pool. */
  release(): void {
    const next = this.#waiting.shift();
    if (next) next(true);
    else this.#free++;
  }

  /** Refuses every slot from now on, and releases everyone in line with `false`. */
  close(): void {
    this.#closed = true;
    for (const w of this.#waiting.splice(0)) w(false);
  }

  /** Runs `task` in a slot. @throws when the limiter is closed before the task's turn */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (!(await this.acquire())) throw new Error("not started: the limiter was closed");
    try {
      return await task();
    } finally {
      this.release();
    }
  }
}
