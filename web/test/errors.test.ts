import { beforeAll, describe, expect, test } from "vitest";
import { messageFor } from "../src/analytics/api/errors.ts";
import { ApiError, MalformedData, requestJson } from "../src/analytics/api/queries.ts";
import { loadCore } from "../src/core/usher.ts";
import { startServer } from "./server.ts";

beforeAll(() => loadCore());

/** The ApiError a request fails with; a request that succeeds fails the test. */
const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("the request succeeded"),
    (e: unknown) => (expect(e).toBeInstanceOf(ApiError), e as ApiError),
  );

describe("messageFor", () => {
  test.each([
    [new ApiError(403, "forbidden"), "You don't have access to this event's figures."],
    [new ApiError(401, "unauthorized"), "Your session has ended — please sign in again."],
    [new ApiError(429, "rate_limited", 3000), "Too many requests — please wait a moment."],
    [
      new ApiError(503, "database_unavailable"),
      "The figures are unavailable right now — the database cannot be reached.",
    ],
    [new ApiError(504, "query_timeout"), "This date range took too long — try a shorter one."],
    [new ApiError(400, "range_too_large", null, "from"), "This date range is too long — pick at most 92 days."],
    [new ApiError(400, "invalid_field", null, "event"), "That is not a valid event id."],
    [new ApiError(400, "invalid_field", null, "to"), "That date range is not valid."],
    [new ApiError(0, "network"), "The server cannot be reached — check your connection."],
    [new ApiError(502, "http_502"), "The server had a problem — please try again shortly."],
    [new MalformedData("sales", "data.buckets[0].at"), "This widget received figures it could not read."],
    [new TypeError("x is undefined"), "Something went wrong while showing this."],
  ])("%s", (error, message) => {
    expect(messageFor(error)).toBe(message);
  });

  test("the operations page's own 403 and 504", () => {
    expect(messageFor(new ApiError(403, "forbidden"), "operations")).toBe(
      "The operations page is for platform admins only.",
    );
    expect(messageFor(new ApiError(504, "query_timeout"), "operations")).toBe("The server took too long to answer.");
  });
});

describe("ApiError from a real answer", () => {
  test("carries status, code, field and Retry-After, and never the server's text", async () => {
    const server = await startServer(() => ({
      status: 429,
      headers: { "retry-after": "7" },
      body: { error: { code: "rate_limited", message: "relation analytics.sales_mv: GCRA key u:42", field: "x" } },
    }));
    try {
      const error = await failure(requestJson({ functionsUrl: server.url, accessToken: "t" }, "analytics"));
      expect(error).toBeInstanceOf(ApiError);
      expect([error.status, error.code, error.field, error.retryAfterMs]).toEqual([429, "rate_limited", "x", 7000]);
      expect(error.message).not.toContain("relation");
      expect(messageFor(error)).not.toContain("relation");
      expect(server.requests[0].authorization).toBe("Bearer t");
    } finally {
      await server.close();
    }
  });

  test("a page that is not our JSON keeps the status alone; no answer at all is status 0", async () => {
    const server = await startServer(() => ({ status: 502, body: "<html>Bad gateway</html>" }));
    const url = server.url;
    try {
      const error = await failure(requestJson({ functionsUrl: url, accessToken: "t" }, "analytics"));
      expect([error.status, error.code, error.retryAfterMs]).toEqual([502, "http_502", null]);
    } finally {
      await server.close();
    }
    const down = await failure(requestJson({ functionsUrl: url, accessToken: "t" }, "analytics"));
    expect([down.status, down.code]).toEqual([0, "network"]);
  });
});
