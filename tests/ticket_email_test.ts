// The ticket e-mail end to end: a ticket issued through the tickets module, its e-mail
// queued and sent through the fake Resend, and the QR image in the request read back by an
// independent decoder to the very code the door scanner accepts.
import assert from "node:assert/strict";
import { connect } from "../edge-functions/_shared/db.ts";
import { ResendClient } from "../edge-functions/_shared/providers/resend.ts";
import { enqueueTicketEmail } from "../edge-functions/_shared/tickets.ts";
import { QrKeys } from "../edge-functions/_shared/wasm.ts";
import { startFakeResend } from "./fakes/resend.ts";
import { createQueue, dropQueue, rows, runOnce } from "./support/email.ts";
import { createEvent, createTicket } from "./support/fixtures.ts";
import { readQrPng } from "./support/qr_image.ts";
import { dbUrl, qrSigningKeys } from "./support/stack.ts";

const keys = new QrKeys(qrSigningKeys);

Deno.test("the ticket e-mail carries the print code as text and as an inline QR image the door accepts", async () => {
  const sql = connect(dbUrl, 2);
  const fake = startFakeResend({ requestsPerSecond: 1000 });
  const queue = await createQueue(sql);
  try {
    const f = await createEvent(sql);
    const { ticketId, code } = await createTicket(sql, keys, f);
    const t = { ticketId, code, to: "holder@example.com", eventName: "Night <of> Code & Co\u2028Bcc: x@example.com" };
    const first = await enqueueTicketEmail(sql, t, queue);
    const again = await enqueueTicketEmail(sql, t, queue);
    assert.deepEqual([again.id, again.created], [first.id, false], "the same code is one e-mail");

    await runOnce(sql, new ResendClient(fake.url, "re_test_key", "Usher <tickets@usher.test>"), queue);
    assert.equal((await rows(sql, queue))[0].status, "sent");
    assert.equal(fake.requests.length, 1);
    assert.equal(fake.requests[0].path, "/emails", "attachments go one e-mail per request");
    const sent = JSON.parse(fake.requests[0].body);
    const [image] = sent.attachments;
    assert.equal(image.content_type, "image/png");
    assert.ok(sent.html.includes(`src="cid:${image.content_id}"`), "the HTML shows the attachment inline");
    assert.ok(sent.html.includes("Night &lt;of&gt; Code &amp; Co"), "the event name is escaped");
    assert.ok(sent.text.includes(code));
    assert.equal(sent.subject, "Your ticket for Night <of> Code & Co Bcc: x@example.com", "one header line");

    const scanned = readQrPng(Uint8Array.from(atob(image.content), (c) => c.charCodeAt(0))).text;
    assert.equal(scanned, code);
    const verdict = keys.verify(scanned, f.eventId, Math.floor(Date.now() / 1000));
    assert.deepEqual(verdict, { ok: true, kind: "print", ticketId });
  } finally {
    await fake.close();
    await dropQueue(sql, queue);
    await sql.end();
  }
});
