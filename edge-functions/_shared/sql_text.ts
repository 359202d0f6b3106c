// Text values written into a statement rather than sent as parameters. postgres.js with
// `prepare: false` (which Supabase's transaction-mode pooler needs) describes every
// parameterised statement in a round trip of its own before running it; the hot calls
// (a rate limit in front of every request, a batch of scans) cannot afford that second
// round trip. A text goes in as hexadecimal digits decoded by the server, so no character
// of it can end the literal or change the statement around it.
import { hexByte } from "./ids.ts";

/** `s` as a SQL expression of type text. */
export function sqlText(s: string): string {
  const hex = Array.from(new TextEncoder().encode(s), (b) => hexByte[b]).join("");
  return `convert_from(decode('${hex}', 'hex'), 'UTF8')`;
}
