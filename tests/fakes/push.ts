// A fake of Expo's push API.
//   POST /--/api/v2/push/send with a JSON array of messages answers one ticket per message. A
//   token containing "DeviceNotRegistered" gets the per-message error Expo gives for an
//   uninstalled app.
//   POST /--/api/v2/push/getReceipts with {"ids": [...]} (at most 1000, as Expo's limit)
//   answers {"data": {"<id>": receipt}} for the tickets it issued: {"status": "ok"} unless told
//   otherwise; an id it never issued, or one told "missing", is left out, as Expo leaves out a
//   receipt not ready yet or expired.
// The receipt of a ticket is set by its ticket id or by its token, in-process with setReceipt
// or from another process with POST /__receipts {"ticket_id" | "token", "receipt"}, where
// receipt is "ok", "missing" or an error name (DeviceNotRegistered, MessageTooBig,
// MessageRateExceeded, InvalidCredentials); a ticket id's setting wins over its token's.
// Failures on command (failNext, POST /__fail) answer both routes in Expo's error shape.
import { control, type Failure, type Fake, type Recorded, startFake } from "./fake.ts";
import { serveControls } from "./webhook_sender.ts";

export const receiptErrors = [
  "DeviceNotRegistered",
  "MessageTooBig",
  "MessageRateExceeded",
  "InvalidCredentials",
] as const;
export type ReceiptOutcome = "ok" | "missing" | typeof receiptErrors[number];

export interface FakePush extends Fake {
  /** The ticket ids issued so far, with the token each was for. */
  tickets: Map<string, string>;
  setReceipt(target: { ticketId: string } | { token: string }, outcome: ReceiptOutcome): void;
}

const receiptMessages: Record<typeof receiptErrors[number], string> = {
  DeviceNotRegistered: "The recipient device is not registered with FCM or APNs",
  MessageTooBig: "The notification payload exceeded 4096 bytes",
  MessageRateExceeded: "Too many messages were sent to this device",
  InvalidCredentials: "The push credentials of this app are invalid",
};

function isOutcome(o: unknown): o is ReceiptOutcome {
  return o === "ok" || o === "missing" || receiptErrors.includes(o as typeof receiptErrors[number]);
}

function expoError(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ errors: [{ code, message }] }, { status, headers });
}

function failure(f: Failure): Response {
  return expoError(
    f.status,
    f.status === 429 ? "TOO_MANY_REQUESTS" : "INTERNAL_SERVER_ERROR",
    "fake provider failure on command",
    f.retryAfter ? { "retry-after": String(f.retryAfter) } : {},
  );
}

export function startFakePush(port = 0): FakePush {
  const tickets = new Map<string, string>();
  const byTicket = new Map<string, ReceiptOutcome>();
  const byToken = new Map<string, ReceiptOutcome>();

  function receipt(id: string): Record<string, unknown> | null {
    const token = tickets.get(id);
    if (token === undefined) return null;
    const outcome = byTicket.get(id) ?? byToken.get(token) ?? "ok";
    if (outcome === "missing") return null;
    if (outcome === "ok") return { status: "ok" };
    return { status: "error", message: receiptMessages[outcome], details: { error: outcome } };
  }

  function send(req: Recorded): Response {
    let messages: { to?: unknown }[];
    try {
      messages = JSON.parse(req.body);
      if (!Array.isArray(messages)) throw new Error("not an array");
    } catch {
      return expoError(400, "VALIDATION_ERROR", "body must be a JSON array");
    }
    return Response.json({
      data: messages.map((m) => {
        if (String(m.to).includes("DeviceNotRegistered")) {
          return {
            status: "error",
            message: `"${m.to}" is not a registered push notification recipient`,
            details: { error: "DeviceNotRegistered" },
          };
        }
        const id = crypto.randomUUID();
        tickets.set(id, String(m.to));
        return { status: "ok", id };
      }),
    });
  }

  function getReceipts(req: Recorded): Response {
    let ids: unknown;
    try {
      ids = JSON.parse(req.body).ids;
    } catch {
      return expoError(400, "VALIDATION_ERROR", "body must be a JSON object");
    }
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
      return expoError(400, "VALIDATION_ERROR", '"ids" must be an array of strings');
    }
    if (ids.length > 1000) return expoError(400, "PUSH_TOO_MANY_RECEIPTS", "at most 1000 receipt ids per request");
    const data: Record<string, unknown> = {};
    for (const id of ids) {
      const r = receipt(id);
      if (r) data[id] = r;
    }
    return Response.json({ data });
  }

  function setReceipt(target: { ticketId: string } | { token: string }, outcome: ReceiptOutcome) {
    if ("ticketId" in target) byTicket.set(target.ticketId, outcome);
    else byToken.set(target.token, outcome);
  }

  const inner = startFake(0, (req: Recorded, f) => {
    if (f) return failure(f);
    if (req.method === "POST" && req.path === "/--/api/v2/push/send") return send(req);
    if (req.method === "POST" && req.path === "/--/api/v2/push/getReceipts") return getReceipts(req);
    return expoError(404, "NOT_FOUND", "Not found");
  });
  const front = serveControls(port, inner.url, {
    "/__receipts": (req) =>
      control(req, (c) => {
        if (!isOutcome(c.receipt)) return `receipt must be "ok", "missing" or one of ${receiptErrors.join(", ")}`;
        const ticketId = c.ticket_id, token = c.token;
        if ((typeof ticketId === "string") === (typeof token === "string")) {
          return "name either ticket_id or token, as a string";
        }
        setReceipt(typeof ticketId === "string" ? { ticketId } : { token: token as string }, c.receipt);
      }),
  });
  return {
    url: front.url,
    requests: inner.requests,
    failNext: inner.failNext,
    tickets,
    setReceipt,
    async close() {
      await front.close();
      await inner.close();
    },
  };
}
