// Property tests of what an e-mail must be to enter the queue: any input either passes with
// exactly what it was given or is refused with a 400 naming its field, never another error;
// and an address that passes is one address every later part accepts (the table's check,
// Resend's format, no header-injection characters).
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.11.0";
import { checkedAddress, parseEmailRequest } from "./email.ts";
import { HttpError } from "./http.ts";

const tableCheck = /^[^@\s<>,]+@[^@\s<>,]+$/;
const resendFormat = /^[^\s@<>,]+@[^\s@<>,]+\.[^\s@<>,]+$/;

function refusedAs(field: string, f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch (e) {
    assert.ok(e instanceof HttpError, `not an HttpError: ${e}`);
    assert.deepEqual([e.status, e.code, e.field], [400, "invalid_field", field]);
    return true;
  }
}

// Addresses near the boundary: pieces that are valid, almost valid, and hostile.
const piece = fc.constantFrom(
  "fan",
  "a.b",
  "x+tag",
  "",
  ".",
  "..",
  "-",
  "é",
  " ",
  "\r\n",
  "<",
  ">",
  ",",
  '"',
  "@",
  "a".repeat(64),
);
const domainPiece = fc.constantFrom("example", "com", "co", "-x", "x-", "1", "", "é", "a".repeat(63), "a".repeat(64));
const nearAddress = fc.tuple(fc.array(piece, { maxLength: 3 }), fc.array(domainPiece, { maxLength: 4 })).map(
  ([local, domain]) => `${local.join("")}@${domain.join(".")}`,
);

Deno.test("any string is either one well-formed address, unchanged, or a 400 naming `to`", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 300 }), nearAddress), (s) => {
      if (refusedAs("to", () => checkedAddress("to", s))) return;
      assert.equal(checkedAddress("to", s), s);
      assert.ok(s.length <= 254 && tableCheck.test(s) && resendFormat.test(s), `accepted ${JSON.stringify(s)}`);
      // deno-lint-ignore no-control-regex -- control characters are what this looks for.
      assert.doesNotMatch(s, /[\x00-\x20\x7f<>,"]/);
    }),
    { numRuns: 5_000 },
  );
});

Deno.test("any JSON object is either an e-mail of exactly its fields or a 400 naming one", () => {
  const value = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.integer(),
    fc.constant(null),
    fc.boolean(),
    fc.jsonValue({ maxDepth: 2 }),
  );
  const body = fc.record({
    to: fc.oneof(fc.constant("fan@example.com"), nearAddress, value),
    subject: fc.oneof(fc.constant("Your ticket"), value),
    html: fc.oneof(fc.constant("<p>x</p>"), value),
    text: fc.oneof(fc.constant("x"), value),
    tags: fc.oneof(
      fc.constant([{ name: "kind", value: "ticket" }]),
      fc.array(fc.record({ name: value, value: value }), { maxLength: 12 }),
      value,
    ),
    idempotency_key: fc.oneof(fc.constant("order-1"), value),
  }, { requiredKeys: [] });
  fc.assert(
    fc.property(fc.oneof(body, fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 4 })), (b) => {
      let e;
      try {
        e = parseEmailRequest(b as Record<string, unknown>);
      } catch (err) {
        assert.ok(err instanceof HttpError && err.status === 400 && err.code === "invalid_field", `${err}`);
        assert.ok(typeof err.field === "string" && err.field.length > 0);
        return;
      }
      assert.equal(e.to, b.to);
      assert.equal(e.subject, b.subject);
      assert.equal(e.html, b.html);
      assert.equal(e.text, b.text ?? null);
      assert.deepEqual(e.tags, b.tags ?? []);
      assert.equal(e.idempotencyKey, b.idempotency_key ?? null);
    }),
    { numRuns: 5_000 },
  );
});
