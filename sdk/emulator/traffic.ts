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
   * Fixed one-second windows per API key. Returns the window's rate-limit headers for the
   * response (`x-ratelimit-limit`, `x-ratelimit-remaining`, `x-ratelimit-reset-ms`: milliseconds
   * until the window resets); past the limit, throws 429 with them and `Retry-After` (whole
   * seconds until the window ends, at least 1) and `retry-after-ms` (the exact wait).
   */
  rateLimit(key: string, limitPerSecond: number | null, now: number = Date.now()): Record<string, string> {
    if (limitPerSecond === null) return {};
    let window = this.#windows.get(key);
    if (!window || now - window.start >= 1000) {
      window = { start: now, count: 0 };
      this.#windows.set(key, window);
    }
    window.count++;
    const resetMs = Math.max(1, window.start + 1000 - now);
    const headers = {
      "x-ratelimit-limit": String(limitPerSecond),
      "x-ratelimit-remaining": String(Math.max(0, limitPerSecond - window.count)),
      "x-ratelimit-reset-ms": String(resetMs),
    };
    if (window.count > limitPerSecond) {
      throw new HttpError(429, "RATE_LIMITED", `Rate limit of ${limitPerSecond} requests per second exceeded`, undefined, {
        ...headers,
        "retry-after": String(Math.max(1, Math.ceil(resetMs / 1000))),
        "retry-after-ms": String(resetMs),
      });
    }
    return headers;
  }
}

/** `/v1/game-servers/:serverId` and `/v1/game-servers/:id` name the same route. */
function normalize(template: string): string {
  return template.replace(/\/:[^/]+/g, "/:").replace(/\/+$/, "");
}
