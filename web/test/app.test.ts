import { beforeEach, describe, expect, test } from "vitest";
import { MalformedData, rangeBounds } from "../src/analytics/api/queries.ts";
import { parseAnswer } from "../src/analytics/api/validate.ts";
import { parseRoute } from "../src/app/router.ts";
import { readSession, SESSION_KEY, takeTokenFromFragment } from "../src/app/session.ts";
import { answer, capacity, email, token } from "./server.ts";

beforeEach(() => localStorage.clear());

describe("session", () => {
  test("an implicit-flow fragment's token is stored, and the dashboard's route replaces the fragment", () => {
    const jwt = token("user-1");
    expect(takeTokenFromFragment(`#access_token=${jwt}&expires_in=3600&token_type=bearer`, localStorage)).toBe("#/");
    expect(JSON.parse(localStorage.getItem(SESSION_KEY)!)).toEqual({ access_token: jwt });
    expect(readSession(localStorage)).toEqual({ accessToken: jwt, userId: "user-1" });
  });

  test("no token, a route fragment, or a token that is not a JWT with a subject: no session", () => {
    expect(takeTokenFromFragment("#/operations", localStorage)).toBe(null);
    expect(readSession(localStorage)).toBe(null);
    localStorage.setItem(SESSION_KEY, JSON.stringify({ access_token: "not-a-jwt" }));
    expect(readSession(localStorage)).toBe(null);
    localStorage.setItem(SESSION_KEY, "{broken");
    expect(readSession(localStorage)).toBe(null);
  });
});

test("routes", () => {
  expect(parseRoute("#/operations", "").page).toBe("operations");
  const r = parseRoute("#/?event=e1&range=7d", "");
  expect([r.page, r.params.get("event"), r.params.get("range")]).toEqual(["dashboard", "e1", "7d"]);
  expect(parseRoute("", "?event=e2").params.get("event")).toBe("e2");
});

test("a range ends at the end of the current hour and starts whole hours before", () => {
  const now = Date.parse("2026-12-02T14:25:13Z");
  expect(rangeBounds("30d", now)).toEqual({ from: "2026-11-02T15:00:00.000Z", to: "2026-12-02T15:00:00.000Z" });
  expect(rangeBounds("24h", now).from).toBe("2026-12-01T15:00:00.000Z");
});

describe("parseAnswer", () => {
  test("accepts the contract's shapes", () => {
    const sales = {
      bucket: "hour",
      currency: "eur",
      buckets: [{ at: "2026-12-02T14:00:00+00:00", tickets: 2, revenue_cents: 5000 }],
    };
    expect(parseAnswer("sales", answer("sales", sales)).data).toEqual(sales);
    expect(parseAnswer("capacity", answer("capacity", { ...capacity, capacity: null })).data).toMatchObject({
      capacity: null,
    });
    expect(parseAnswer("email", answer("email", email)).data).toEqual(email);
    parseAnswer(
      "checkins",
      answer("checkins", { bucket: "day", buckets: [{ at: "2026-12-02T00:00:00+00:00", door: "d", admitted: 1 }] }),
    );
    parseAnswer("scan_outcomes", answer("scan_outcomes", { outcomes: [{ result: "redeemed", count: 3 }] }));
  });

  test.each([
    ["sales", answer("sales", { bucket: "week", currency: "eur", buckets: [] }), "data.bucket"],
    [
      "sales",
      answer("sales", { bucket: "day", currency: "eur", buckets: [{ at: "soon", tickets: 1, revenue_cents: 1 }] }),
      "data.buckets[0].at",
    ],
    ["capacity", answer("capacity", { sold: -1, redeemed: 0, capacity: 1 }), "data.sold"],
    ["email", answer("email", { ...email, failed: "2" }), "data.failed"],
    ["scan_outcomes", answer("scan_outcomes", { outcomes: {} }), "data.outcomes"],
    ["capacity", answer("sales", capacity), "answer.widget"],
    ["capacity", { ...answer("capacity", capacity), data_as_of: undefined }, "answer.data_as_of"],
    ["capacity", "<html>", "answer"],
  ])("%s: a malformed answer names its first bad field", (widget, body, path) => {
    try {
      parseAnswer(widget, body);
      expect.fail("accepted");
    } catch (e) {
      expect(e).toBeInstanceOf(MalformedData);
      expect((e as MalformedData).path).toBe(path);
    }
  });
});
