import { describe, expect, it } from "vitest";
import {
  backoffDelay,
  connectionRetryDecision,
  isIdempotent,
  parseRetryAfter,
  type RetryDecision,
  retryDecision,
  shouldRetryStatus,
  wasNeverSent,
} from "../../../sdk/internal/retry.js";

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

  // Every retry ends, bounded by maxRetries and the deadline, whatever the headers say.
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
