// The ticket e-mail: the signed print code as text and as a QR image a door scanner reads,
// rendered by the core (crates/usher-qrpng through wasm) and attached inline by content_id,
// so mail clients show it without loading anything remote. It goes through the same queue as
// every e-mail (enqueueEmail), one request per e-mail, since Resend's batch endpoint takes no
// attachments.
import type { Sql } from "./db.ts";
import { checkedAddress, type EmailRequest, type Enqueued, enqueueEmail } from "./email.ts";
import { qrPng } from "./wasm.ts";

export interface TicketEmail {
  ticketId: string;
  /** The ticket's signed print code (docs/qr-format.md). */
  code: string;
  to: string;
  eventName: string;
}

const escapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => escapes[c]);

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

// Controls and the line and paragraph separators, which some mail software breaks a header at.
const headerBreakers = /[\p{Cc}\u0085\u2028\u2029]+/gu;

/**
 * The e-mail for one ticket's code, held to send-email's rules (the address is checked the
 * same way; the event's name cannot break the subject line). A re-issued code is a new
 * e-mail; the same code, the same.
 */
export function ticketEmail(t: TicketEmail): EmailRequest {
  const contentId = `ticket-${t.ticketId}`;
  const event = escapeHtml(t.eventName);
  return {
    to: checkedAddress("to", t.to),
    subject: `Your ticket for ${t.eventName.replace(headerBreakers, " ")}`.slice(0, 500),
    html: `<p>Your ticket for <strong>${event}</strong>. Show this code at the door:</p>` +
      `<p><img src="cid:${contentId}" alt="Ticket QR code" width="300" height="300"></p>` +
      `<p>If the image does not show, the door can type this code:<br><code>${escapeHtml(t.code)}</code></p>`,
    text: `Your ticket for ${t.eventName}.\n\nShow this code at the door:\n${t.code}\n`,
    tags: [{ name: "kind", value: "ticket" }, { name: "ticket_id", value: t.ticketId }],
    attachments: [{
      filename: `ticket-${t.ticketId}.png`,
      content: base64(qrPng(t.code, 8)),
      content_type: "image/png",
      content_id: contentId,
    }],
    // The code's MAC ends it, so a re-issued code gets a key (and an e-mail) of its own.
    idempotencyKey: `ticket-email/${t.ticketId}/${t.code.slice(-22)}`,
  };
}

/** Queues the ticket e-mail; enqueuing it again for the same code answers the first row. */
export function enqueueTicketEmail(sql: Sql, t: TicketEmail, queue = "default"): Promise<Enqueued> {
  return enqueueEmail(sql, ticketEmail(t), queue);
}
