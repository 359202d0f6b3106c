import assert from "node:assert/strict";
import { ConfigError, intEnv, requireEnv } from "./config.ts";

const env = (vars: Record<string, string>) => (n: string) => vars[n];

Deno.test("requireEnv returns the values it was asked for", () => {
  assert.deepEqual(requireEnv(["A", "B"], env({ A: "1", B: "2", C: "3" })), { A: "1", B: "2" });
});

Deno.test("requireEnv names every missing or empty variable, and no values", () => {
  assert.throws(
    () => requireEnv(["SUPABASE_DB_URL", "JWT_SECRET", "PRESENT"], env({ JWT_SECRET: "", PRESENT: "hunter2" })),
    (e: unknown) =>
      e instanceof ConfigError && /SUPABASE_DB_URL, JWT_SECRET/.test(e.message) && !e.message.includes("hunter2"),
  );
});

Deno.test("intEnv takes positive integers and rejects the rest by name", () => {
  assert.equal(intEnv("N", 5, env({})), 5);
  assert.equal(intEnv("N", 5, env({ N: "12" })), 12);
  for (const bad of ["0", "-1", "1.5", "ten"]) {
    assert.throws(() => intEnv("N", 5, env({ N: bad })), /N must be a positive integer/);
  }
});
