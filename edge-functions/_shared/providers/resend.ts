// The Resend adapter: POST /emails for one e-mail and POST /emails/batch for up to 100, over
// fetch with a configurable base URL so tests reach a local fake. Every request carries an
// Idempotency-Key, and its body is built only from what it is given, in a fixed order, so the
// same send made again is the same request byte for byte: Resend then answers the first
// message ids and delivers nothing new (for 24 hours).
import { describeError } from "../log.ts";
import { storableNote } from "../text.ts";

export interface Attachment {
  filename: string;
  /** Base64. */
  content: string;
  content_type?: string;
  /** Referenced from the HTML as `cid:…`, which makes the attachment inline. */
  content_id?: string;
}

export interface OutgoingEmail {
  to: string;
  subject: string;
  html: string;
  text?: string | null;
  tags?: { name: string; value: string }[];
  attachments?: Attachment[] | null;
}

/** What became of one request: message ids in order, or why not, safe to store and log. */
export type SendOutcome =
  | { ok: true; ids: string[] }
  | {
    ok: false;
    /** The HTTP status, or null when no answer came (a timeout, a dropped connection). */
    status: number | null;
    /** Resend's error `name`, which tells its three 429s and two 409s apart. */
    name: string | null;
    retryAfter: string | null;
    /** A short description for the queue's `error` column: status and name, no body. */
    summary: string;
  };

export class ResendClient {
  constructor(
    readonly apiBase: string,
    readonly apiKey: string,
    readonly from: string,
    readonly timeoutMs = 10_000,
  ) {}

  /** The request body, deterministic for the same e-mails. */
  body(emails: OutgoingEmail[], batch: boolean, from = this.from): string {
    const objects = emails.map((e) => {
      const o: Record<string, unknown> = { from, to: [e.to], subject: e.subject, html: e.html };
      if (e.text) o.text = e.text;
      if (e.tags && e.tags.length > 0) o.tags = e.tags.map((t) => ({ name: t.name, value: t.value }));
      if (e.attachments && e.attachments.length > 0) {
        o.attachments = e.attachments.map((a) => ({
          filename: a.filename,
          content: a.content,
          ...(a.content_type ? { content_type: a.content_type } : {}),
          ...(a.content_id ? { content_id: a.content_id } : {}),
        }));
      }
      return o;
    });
    return JSON.stringify(batch ? objects : objects[0]);
  }

  async send(idempotencyKey: string, emails: OutgoingEmail[], batch: boolean, from = this.from): Promise<SendOutcome> {
    let res: Response;
    try {
      res = await fetch(`${this.apiBase}${batch ? "/emails/batch" : "/emails"}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${this.apiKey}`,
          "content-type": "application/json",
          "idempotency-key": idempotencyKey,
        },
        body: this.body(emails, batch, from),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      return { ok: false, status: null, name: null, retryAfter: null, summary: `no answer: ${describeError(e)}` };
    }
    const answer = await res.json().catch(() => null);
    if (res.ok) {
      const items = batch ? answer?.data : [answer];
      if (Array.isArray(items) && items.length === emails.length && items.every((i) => typeof i?.id === "string")) {
        return { ok: true, ids: items.map((i: { id: string }) => storableNote(i.id, 255)) };
      }
      // Accepted, but without ids we can read: the outcome is as unknown as a timeout's.
      return { ok: false, status: null, name: null, retryAfter: null, summary: `${res.status} without message ids` };
    }
    const name = typeof answer?.name === "string" ? storableNote(answer.name, 64) : null;
    return {
      ok: false,
      status: res.status,
      name,
      retryAfter: res.headers.get("retry-after"),
      summary: `${res.status}${name ? ` ${name}` : ""}`,
    };
  }
}
