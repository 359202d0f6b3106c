// sqlText against the real server: whatever the text, the statement reads it back exactly
// and nothing of it escapes the literal.
import assert from "node:assert/strict";
import { connect } from "./db.ts";
import { sqlText } from "./sql_text.ts";
import { dbUrl } from "../../tests/support/stack.ts";

const hostile = [
  "",
  "'",
  "''",
  "\\",
  "\\'",
  "'); drop table public.events; --",
  "$$",
  "$q$",
  "E'\\x00'",
  "😀",
  "\u2028",
  "é",
];

function randomText(): string {
  // Code points from every plane but the surrogates (which UTF-8 cannot carry) and NUL
  // (which Postgres text cannot hold).
  const n = Math.floor(Math.random() * 40);
  return String.fromCodePoint(...Array.from({ length: n }, () => {
    for (;;) {
      const c = Math.random() < 0.5 ? 1 + Math.floor(Math.random() * 127) : 1 + Math.floor(Math.random() * 0x10ffff);
      if (c < 0xd800 || c > 0xdfff) return c;
    }
  }));
}

Deno.test("sqlText round-trips hostile and random texts through Postgres unchanged", async () => {
  const sql = connect(dbUrl, 1);
  try {
    const texts = [...hostile, ...Array.from({ length: 300 }, randomText)];
    const rows = await sql.unsafe<{ t: string }[]>(
      texts.map((t, i) => `select ${i} as i, ${sqlText(t)} as t`).join(" union all ") + " order by i",
    );
    assert.deepEqual(rows.map((r) => r.t), texts);
  } finally {
    await sql.end();
  }
});
