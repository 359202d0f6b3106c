// What an e-mail must be to enter the queue, and the one way into it: send-email and the
// tickets module both enqueue through `enqueueEmail`, so every e-mail is checked alike and
// gets the queue's retries and exactly-once sending (migration 20261201000600_email_queue).
import type { Sql } from "./db.ts";
import { invalidField } from "./http.ts";
import type { Attachment } from "./providers/resend.ts";
import { checkedText } from "./text.ts";

export interface EmailRequest {
  to: string;
  subject: string;
  html: string;
  text: string | null;
  tags: { name: string; value: string }[];
  attachments: Attachment[] | null;
  idempotencyKey: string | null;
}

/** Limits: Resend's for tags; ours for the bodies, well inside its 40 MB per e-mail. */
export const emailLimits = {
  subject: 500,
  html: 256 * 1024,
  text: 128 * 1024,
  tags: 10,
  idempotencyKey: 255,
} as const;

// An address as mail systems accept it from a form: a local part of up to 64 characters
// without spaces, quotes, angle brackets or commas (no quoted local parts, no display name:
// those are how header injection gets in), an @, and a domain of dot-separated labels of
// letters, digits and hyphens ending in a label of letters. RFC 5321 caps the whole at 254.
const localPart = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$/;
const domain = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

/** `value` when it is one e-mail address, else a 400 naming `field`. */
export function checkedAddress(field: string, value: unknown): string {
  const what = `${field} must be one e-mail address such as name@example.com (at most 254 characters)`;
  if (typeof value !== "string" || value.length > 254) throw invalidField(field, what);
  const at = value.lastIndexOf("@");
  const local = value.slice(0, at);
  if (at < 1 || !localPart.test(local) || local.startsWith(".") || local.endsWith(".") || local.includes("..")) {
    throw invalidField(field, what);
  }
  if (!domain.test(value.slice(at + 1))) throw invalidField(field, what);
  return value;
}

const tagText = /^[A-Za-z0-9_-]{1,256}$/;
const keyText = /^[\x21-\x7e]{1,255}$/;

/** The body of a send-email request, each field checked; a 400 names the first at fault. */
export function parseEmailRequest(body: Record<string, unknown>): EmailRequest {
  const to = checkedAddress("to", body.to);
  const subject = checkedText("subject", body.subject, { min: 1, max: emailLimits.subject });
  const html = checkedText("html", body.html, { min: 1, max: emailLimits.html, multiline: true });
  const text = body.text === undefined || body.text === null
    ? null
    : checkedText("text", body.text, { min: 1, max: emailLimits.text, multiline: true });
  let tags: EmailRequest["tags"] = [];
  if (body.tags !== undefined && body.tags !== null) {
    const what = `tags must be an array of at most ${emailLimits.tags} {name, value} objects of ASCII letters, ` +
      "digits, underscores or dashes (1 to 256 each)";
    if (!Array.isArray(body.tags) || body.tags.length > emailLimits.tags) throw invalidField("tags", what);
    tags = body.tags.map((t) => {
      // RegExp.test turns a non-string into one ("undefined" is a fine tag name), hence typeof.
      if (
        typeof t?.name !== "string" || typeof t.value !== "string" || !tagText.test(t.name) || !tagText.test(t.value)
      ) {
        throw invalidField("tags", what);
      }
      return { name: t.name, value: t.value };
    });
  }
  let idempotencyKey: string | null = null;
  if (body.idempotency_key !== undefined && body.idempotency_key !== null) {
    if (typeof body.idempotency_key !== "string" || !keyText.test(body.idempotency_key)) {
      throw invalidField("idempotency_key", "idempotency_key must be 1 to 255 printable ASCII characters");
    }
    idempotencyKey = body.idempotency_key;
  }
  for (const field of Object.keys(body)) {
    if (!["to", "subject", "html", "text", "tags", "idempotency_key"].includes(field)) {
      throw invalidField(field, `${field} is not a field of an e-mail`);
    }
  }
  return { to, subject, html, text, tags, attachments: null, idempotencyKey };
}

export interface Enqueued {
  id: string;
  status: string;
  /** False when an earlier request with the same idempotency key made the row. */
  created: boolean;
}

/** Puts an e-mail in the queue; a repeated idempotency key answers the existing row. */
export async function enqueueEmail(sql: Sql, e: EmailRequest, queue = "default"): Promise<Enqueued> {
  const attachments = e.attachments ? JSON.stringify(e.attachments) : null;
  const [row] = await sql<Enqueued[]>`
    select id, status, created from public.enqueue_email(
      ${e.to}, ${e.subject}, ${e.html}, ${e.text}, (${JSON.stringify(e.tags)}::text)::jsonb,
      (${attachments}::text)::jsonb, ${e.idempotencyKey}, 5, ${queue})`;
  return row;
}
