import { describe, expect, it } from "vitest";
import { RateWindow } from "../sdk/rate-window.js";
import {
  backoffDelay,
  connectionRetryDecision,
  isIdempotent,
  parseRetryAfter,
  type RetryDecision,
  retryDecision,
  shouldRetryStatus,
  wasNeverSent,
} from "../sdk/retry.js";

describe("retry policy", () => {
  it.each([
    ["GET", 429, true],
    ["POST", 429, true],
    ["GET", 500, true],
    ["GET", 503, true],
    ["DELETE", 502, true],
    ["PATCH", 504, true],
    ["GET", 408, true],
    ["POST", 500, false],
    ["POST", 502, false],
    ["POST", 408, false],
    ["GET", 400, false],
    ["GET", 401, false],
    ["GET", 403, false],
    ["GET", 404, false],
  ])("%s answered %i: retry is %s", (method, status, expected) => {
    expect(shouldRetryStatus(method, status)).toBe(expected);
  });

  it("honours x-should-retry from the server", () => {
    expect(shouldRetryStatus("GET", 500, { "x-should-retry": "false" })).toBe(false);
    expect(shouldRetryStatus("GET", 400, { "x-should-retry": "true" })).toBe(true);
    expect(shouldRetryStatus("POST", 500, { "x-should-retry": "true" })).toBe(false);
  });

  it("treats only POST as non-idempotent among the methods we send", () => {
    expect(["GET", "PATCH", "DELETE", "PUT"].map(isIdempotent)).toEqual([true, true, true, true]);
    expect(isIdempotent("POST")).toBe(false);
  });

  it.each([
    [{ "retry-after": "3" }, 3000],
    [{ "retry-after": "0" }, 0],
    [{ "retry-after": "1.5" }, 1500],
    [{ "retry-after-ms": "250" }, 250],
    [{ "retry-after": "Mon, 23 Nov 2026 10:00:05 GMT" }, 5000],
    [{ "retry-after": "Mon, 23 Nov 2026 09:59:00 GMT" }, 0],
    [{ "retry-after": "61" }, undefined],
    [{ "retry-after": "-1" }, undefined],
    [{ "retry-after": "soon" }, undefined],
    [{}, undefined],
  ])("parses Retry-After %o as %s ms", (headers, expected) => {
    expect(parseRetryAfter(headers, Date.parse("2026-11-23T10:00:00Z"))).toBe(expected);
  });

  it("backs off exponentially with at most 25 % jitter, capped at 8 s", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 0))).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
    expect(backoffDelay(1, 0.999)).toBe(375);
    expect(backoffDelay(10, 0.5)).toBe(7000);
  });

  // Issue 17: every retry ends, bounded by maxRetries and the deadline, whatever the headers say.
  describe("retryDecision: retry with a delay, or stop", () => {
    const NOW = Date.parse("2026-11-23T10:00:00Z");
    const at = (ms: number, rateLimited = false): RetryDecision => ({ retry: true, delayMs: ms, rateLimited });
    const stop: RetryDecision = { retry: false };
    // [case, method, status, headers, retries already counted, maxRetries, deadline from now (ms), decision]
    it.each<[string, string, number, Record<string, string>, number, number, number, RetryDecision]>([
      ["429 with Retry-After", "GET", 429, { "retry-after": "2" }, 0, 2, 60_000, at(2250, true)],
      ["429 without Retry-After: 1 s", "POST", 429, {}, 0, 2, 60_000, at(1125, true)],
      ["429 past maxRetries: until the deadline", "DELETE", 429, { "retry-after": "1" }, 2, 2, 60_000, at(1125, true)],
      ["429 whose Retry-After passes the deadline", "GET", 429, { "retry-after": "2" }, 0, 2, 1_000, stop],
      ["429 with x-should-retry false", "GET", 429, { "x-should-retry": "false" }, 0, 2, 60_000, stop],
      ["429 with maxRetries 0", "GET", 429, {}, 0, 0, 60_000, stop],
      ["503 with Retry-After seconds", "DELETE", 503, { "retry-after": "2" }, 0, 2, 60_000, at(2000)],
      ["503 with Retry-After HTTP-date", "DELETE", 503, { "retry-after": "Mon, 23 Nov 2026 10:00:03 GMT" }, 1, 2, 60_000, at(3000)],
      ["503 with retry-after-ms", "GET", 503, { "retry-after-ms": "250", "retry-after": "9" }, 0, 2, 60_000, at(250)],
      ["503 with Retry-After 0", "GET", 503, { "retry-after": "0" }, 0, 2, 60_000, at(0)],
      ["503 without Retry-After: backoff", "DELETE", 503, {}, 1, 2, 60_000, at(875)],
      ["503 with Retry-After, attempts exhausted", "DELETE", 503, { "retry-after": "2" }, 2, 2, 60_000, stop],
      ["503 without Retry-After, attempts exhausted", "GET", 503, {}, 2, 2, 60_000, stop],
      ["503 whose Retry-After passes the deadline", "DELETE", 503, { "retry-after": "2" }, 0, 2, 2_000, stop],
      ["503 whose backoff passes the deadline", "GET", 503, {}, 0, 2, 300, stop],
      ["503 with a Retry-After beyond a minute: backoff", "GET", 503, { "retry-after": "3600" }, 0, 2, 60_000, at(438)],
      ["POST 503 with Retry-After: may have been processed", "POST", 503, { "retry-after": "1" }, 0, 2, 60_000, stop],
      ["POST 500 with x-should-retry true", "POST", 500, { "x-should-retry": "true" }, 0, 2, 60_000, stop],
      ["400 with x-should-retry true", "GET", 400, { "x-should-retry": "true" }, 0, 2, 60_000, at(438)],
      ["500 with x-should-retry false", "DELETE", 500, { "x-should-retry": "false", "retry-after": "1" }, 0, 2, 60_000, stop],
      ["404", "DELETE", 404, { "retry-after": "1" }, 0, 2, 60_000, stop],
      ["502 with maxRetries 0", "GET", 502, {}, 0, 0, 60_000, stop],
    ])("%s", (_case, method, status, headers, attempt, maxRetries, deadlineIn, decision) => {
      expect(retryDecision({ method, status, headers, attempt, maxRetries, now: NOW, deadline: NOW + deadlineIn, random: 0.5 })).toEqual(
        decision,
      );
    });

    it("ends a lasting 503 with Retry-After after maxRetries retries", () => {
      const decide = (attempt: number) =>
        retryDecision({
          method: "DELETE",
          status: 503,
          headers: { "retry-after": "2" },
          attempt,
          maxRetries: 3,
          now: NOW,
          deadline: NOW + 60_000,
        });
      let retries = 0;
      while (retries < 100 && decide(retries).retry) retries++;
      expect(retries).toBe(3);
    });

    it.each<[string, string, boolean, number, number, RetryDecision]>([
      ["GET dropped: backoff", "GET", false, 0, 60_000, at(375)],
      ["POST refused before sending", "POST", true, 1, 60_000, at(750)],
      ["POST dropped: may have been processed", "POST", false, 0, 60_000, stop],
      ["GET, attempts exhausted", "GET", false, 2, 60_000, stop],
      ["GET whose backoff passes the deadline", "GET", false, 0, 100, stop],
    ])("after a connection error, %s", (_case, method, neverSent, attempt, deadlineIn, decision) => {
      expect(
        connectionRetryDecision({ method, neverSent, attempt, maxRetries: 2, now: NOW, deadline: NOW + deadlineIn, random: 1 - 1e-9 }),
      ).toEqual(decision);
    });
  });

  it("knows which connection errors prove the request was never sent", () => {
    expect(wasNeverSent(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(wasNeverSent(new Error("wrapped", { cause: Object.assign(new Error("x"), { code: "ENOTFOUND" }) }))).toBe(true);
    expect(wasNeverSent(Object.assign(new Error("reset"), { code: "ECONNRESET" }))).toBe(false);
    expect(wasNeverSent(Object.assign(new Error("closed"), { code: "UND_ERR_SOCKET" }))).toBe(false);
  });
});

describe("RateWindow: pacing from the API's rate-limit headers", () => {
  const headers = (limit: number, remaining: number, resetMs: number) => ({
    "x-ratelimit-limit": String(limit),
    "x-ratelimit-remaining": String(remaining),
    "x-ratelimit-reset-ms": String(resetMs),
  });

  it("paces nothing until the API describes a window, and stops when a success no longer does", () => {
    const w = new RateWindow();
    for (let i = 0; i < 100; i++) expect(w.take(0)).toBe(0);
    w.observe(200, headers(3, 0, 400), 0);
    expect(w.take(10)).toBe(395);
    // A gateway's error without the headers says nothing about the window.
    w.observe(502, {}, 15);
    expect(w.take(15)).toBe(390);
    w.observe(200, {}, 20);
    expect(w.take(20)).toBe(0);
    expect(w.paced).toBe(false);
  });

  it("spends what remains of the window, waits for its reset, then spends the next window's limit", () => {
    const w = new RateWindow();
    w.observe(200, headers(3, 2, 500), 0);
    expect([w.take(1), w.take(2), w.take(3)]).toEqual([0, 0, 505 - 3]);
    // At the reset: a new window of 3, whose reset is guessed a whole window (500 ms) away.
    expect([w.take(500), w.take(501), w.take(502), w.take(503)]).toEqual([0, 0, 0, 1000 + 5 - 503]);
    // The first answer of the new window tells its reset; what it says remains never raises the count.
    w.observe(200, headers(3, 2, 490), 510);
    expect(w.take(520)).toBe(1000 + 5 - 520);
  });

  it("never waits past a guessed reset for answers that do not come", () => {
    const w = new RateWindow();
    w.observe(200, headers(2, 0, 100), 0);
    // The new window's two requests time out: no answer tells its reset.
    expect([w.take(100), w.take(100)]).toEqual([0, 0]);
    expect(w.take(150)).toBe(55);
    expect(w.take(200)).toBe(0);
  });

  it("ignores a late answer from a window it left, and never lets an answer raise what remains", () => {
    const w = new RateWindow();
    w.observe(200, headers(2, 0, 100), 0);
    expect(w.take(100)).toBe(0);
    // An answer sent just before the old window ended, received after the new one began.
    w.observe(200, headers(2, 2, 1), 101);
    expect(w.take(102)).toBe(0);
    expect(w.take(103)).toBe(200 + 5 - 103);
    // A slow answer of the same window (its reset looks later) lowers nothing and raises nothing.
    w.observe(200, headers(2, 1, 150), 110);
    expect(w.take(111)).toBe(260 + 5 - 111);
  });

  it("counts the requests sent before the window was known, still unanswered, against it once it is", () => {
    const w = new RateWindow();
    // 32 sent at once before any answer (a fleet's first creates): the API counts them all.
    for (let i = 0; i < 32; i++) expect(w.take(0, true)).toBe(0);
    // The first answer says 49 of 50 remain, but 31 others are on their way: 18 remain, and bulk leaves 15.
    w.observe(200, headers(50, 49, 1000), 10);
    expect([w.take(11, true), w.take(11, true), w.take(11, true)]).toEqual([0, 0, 0]);
    expect(w.take(12, true)).toBe(1000 + 10 + 5 - 12);
    expect(w.room(12)).toEqual({ remaining: 15, resetInMs: 998 });
  });

  it("a 429 empties the window until its reset", () => {
    const w = new RateWindow();
    w.observe(200, headers(10, 8, 300), 0);
    w.observe(429, headers(10, 0, 250), 50);
    expect(w.take(60)).toBe(305 - 60);
  });

  it("starts afresh when the clock steps back", () => {
    const w = new RateWindow();
    w.observe(200, headers(2, 0, 1000), 100_000);
    expect(w.take(70_000)).toBe(0);
    expect(w.take(70_001)).toBe(0);
    expect(w.take(70_002)).toBe(1000 + 5 - 2);
  });

  it("a bulk request leaves three tenths of the window to the others", () => {
    const w = new RateWindow();
    w.observe(200, headers(10, 10, 1000), 0);
    expect(Array.from({ length: 7 }, (_, i) => w.take(i + 1, true))).toEqual([0, 0, 0, 0, 0, 0, 0]);
    // Three remain: for the others, not for bulk.
    expect(w.take(10, true)).toBe(1000 + 5 - 10);
    expect([w.take(11), w.take(12), w.take(13)]).toEqual([0, 0, 0]);
    expect(w.room(14)).toEqual({ remaining: 0, resetInMs: 1000 - 14 });
  });

  it("in a new window, bulk requests wait until its first answer says what the others left", () => {
    const w = new RateWindow();
    w.observe(200, headers(10, 0, 100), 0);
    // The window resets: the first request asks, the others wait for its answer...
    expect(w.take(100, true)).toBe(0);
    expect(w.take(101, true)).toBeGreaterThan(0);
    expect(w.take(101)).toBe(0);
    // ...which says others spent three more of it: bulk takes what is left above three.
    w.observe(200, headers(10, 5, 95), 105);
    expect([w.take(106, true), w.take(106, true)]).toEqual([0, 0]);
    expect(w.take(107, true)).toBe(200 + 5 - 107);
  });

  it("in a new window whose first request gets no answer, bulk requests go on the guess a quarter of a second in", () => {
    const w = new RateWindow();
    w.observe(200, headers(10, 0, 1000), 0);
    expect(w.take(1000)).toBe(0);
    expect(w.take(1100, true)).toBeGreaterThan(0);
    expect(w.take(1250, true)).toBe(0);
  });
});
