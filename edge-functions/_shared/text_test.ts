// Texts that reach Postgres: callers' fields are refused when Postgres would refuse or
// alter them; providers' notes are cleaned so that any of them can be stored.
import assert from "node:assert/strict";
import { connect } from "./db.ts";
import { HttpError } from "./http.ts";
import { checkedText, storableNote } from "./text.ts";
import { dbUrl } from "../../tests/support/stack.ts";

const refused = (value: unknown, multiline = false) => {
  try {
    checkedText("title", value, { min: 1, max: 20, multiline });
    return false;
  } catch (e) {
    assert.ok(e instanceof HttpError && e.status === 400 && e.field === "title");
    return true;
  }
};

Deno.test("checkedText refuses NUL, controls, lone surrogates, wrong types and lengths", () => {
  for (const bad of ["", "x".repeat(21), "a\u0000b", "a\u001bb", "a\u007fb", "\ud800", "a\udc00b", 5, null]) {
    assert.ok(refused(bad), JSON.stringify(bad));
  }
  assert.ok(refused("a\nb"), "a title has one line");
  assert.ok(!refused("a\nb\tc", true), "a body may have several");
  assert.ok(!refused("Türen 🎫 €"));
});

/** A random string over a mix of plain, control, surrogate and astral code units. */
function randomText(length: number): string {
  const pool = [0x00, 0x09, 0x0a, 0x1f, 0x41, 0x7f, 0xe9, 0x20ac, 0xd83c, 0xdfab, 0xd800, 0xdfff, 0xfffd];
  return String.fromCharCode(...Array.from({ length }, () => pool[Math.floor(Math.random() * pool.length)]));
}

Deno.test("any provider note, once made storable, is stored by Postgres unchanged", async () => {
  const sql = connect(dbUrl, 1);
  try {
    for (let i = 0; i < 300; i++) {
      const note = storableNote(randomText(1 + (i % 40)), 30);
      // deno-lint-ignore no-control-regex -- a stored note must have no control characters.
      assert.ok(note.isWellFormed() && !/[\x00-\x1f\x7f]/.test(note) && note.length <= 30, JSON.stringify(note));
      const [row] = await sql<{ t: string }[]>`select ${note}::text as t`;
      assert.equal(row.t, note);
    }
  } finally {
    await sql.end();
  }
});
