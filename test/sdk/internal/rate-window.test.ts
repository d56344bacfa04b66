import { describe, expect, it } from "vitest";
import { RateWindow } from "../../../sdk/internal/rate-window.js";

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
