// Text that reaches Postgres. A text column cannot hold U+0000, and a lone UTF-16
// surrogate (which JSON's \ud800 escapes allow) has no UTF-8 form, so it would be stored
// altered; both would fail or change a write after the side effect it records (a push
// sent, a session created). Callers' fields are refused with a 400 naming them; texts from
// providers are cleaned, since what they say is only a note.
import { invalidField } from "./http.ts";

/** C0 controls and DEL, except tab and newline where a text may have several lines. */
// deno-lint-ignore no-control-regex -- control characters are what these look for.
const controls = /[\x00-\x1f\x7f]/;
// deno-lint-ignore no-control-regex -- as above.
const controlsButLines = /[\x00-\x08\x0b-\x1f\x7f]/;
// deno-lint-ignore no-control-regex -- as above.
const anyControl = /[\x00-\x1f\x7f]/g;

export interface TextRule {
  min: number;
  max: number;
  /** Whether tabs and newlines are allowed (a message body), or no control at all (a title). */
  multiline?: boolean;
}

/** `value` when it is a string of `min` to `max` characters fit to store, else a 400. */
export function checkedText(field: string, value: unknown, rule: TextRule): string {
  const what = `${field} must be a string of ${rule.min === 0 ? "at most" : `${rule.min} to`} ${rule.max} characters`;
  if (typeof value !== "string" || value.length < rule.min || value.length > rule.max) {
    throw invalidField(field, what);
  }
  if (!value.isWellFormed() || (rule.multiline ? controlsButLines : controls).test(value)) {
    throw invalidField(field, `${what}, without control characters or unpaired surrogates`);
  }
  return value;
}

/** A provider's text made fit to store: controls dropped, surrogates repaired, cut to `max`. */
export function storableNote(value: string, max: number): string {
  return value.slice(0, max).toWellFormed().replace(anyControl, " ");
}
