import { HttpError } from "./http-error.js";
import type { Fault } from "./settings.js";

/** Request counters, injected faults and the rate limiter: the emulator's traffic controls. */
export class Traffic {
  #total = 0;
  #byRoute: Record<string, number> = {};
  #faults: Fault[] = [];
  #windows = new Map<string, { start: number; count: number }>();

  reset(): void {
    this.#total = 0;
    this.#byRoute = {};
    this.#faults = [];
    this.#windows.clear();
  }

  /** Counts one API request; `route` is `METHOD /template`, undefined for unmatched paths. */
  count(route: string | undefined): void {
    this.#total++;
    if (route) this.#byRoute[route] = (this.#byRoute[route] ?? 0) + 1;
  }

  stats(): { total: number; byRoute: Record<string, number> } {
    return { total: this.#total, byRoute: { ...this.#byRoute } };
  }

  addFault(fault: Fault): number {
    this.#faults.push({ ...fault });
    return this.#faults.length;
  }

  clearFaults(): void {
    this.#faults = [];
  }

  /** The first queued fault for this route, consumed by one use; faults fire in the order added. */
  take(method: string, template: string): Fault | undefined {
    const route = normalize(template);
    const index = this.#faults.findIndex((f) => f.method === method && normalize(f.route) === route);
    if (index < 0) return undefined;
    const fault = this.#faults[index]!;
    fault.times -= 1;
    if (fault.times <= 0) this.#faults.splice(index, 1);
    return fault;
  }

  /**
   * Fixed one-second windows per API key. Throws 429 with `Retry-After` (whole seconds until the
   * window ends, at least 1) past the limit.
   */
  rateLimit(key: string, limitPerSecond: number | null, now: number = Date.now()): void {
    if (limitPerSecond === null) return;
    const window = this.#windows.get(key);
    if (!window || now - window.start >= 1000) {
      this.#windows.set(key, { start: now, count: 1 });
      return;
    }
    window.count++;
    if (window.count > limitPerSecond) {
      const retryAfter = Math.max(1, Math.ceil((window.start + 1000 - now) / 1000));
      throw new HttpError(429, "RATE_LIMITED", `Rate limit of ${limitPerSecond} requests per second exceeded`, undefined, {
        "retry-after": String(retryAfter),
      });
    }
  }
}

/** `/v1/game-servers/:serverId` and `/v1/game-servers/:id` name the same route. */
function normalize(template: string): string {
  return template.replace(/\/:[^/]+/g, "/:").replace(/\/+$/, "");
}
