// The push adapter, in the shape of Expo's push API: POST {base}/--/api/v2/push/send with
// a JSON array of messages, one ticket back per message; and POST
// {base}/--/api/v2/push/getReceipts with {"ids": [...]} (at most 1000), the receipts of the
// tickets that have one so far. The base URL is configurable so tests reach a local fake.
import { describeError } from "../log.ts";
import { ProviderError } from "./stripe.ts";
import { storableNote } from "../text.ts";

export interface PushMessage {
  to: string;
  title: string;
  body: string;
  data?: Record<string, unknown>;
}

/** The provider's answer for one message: accepted with a ticket id, or refused. */
export type PushTicket = { status: "ok"; id: string } | { status: "error"; message: string; error: string | null };

/**
 * What became of an accepted message: Apple or Google took it, or refused it with Expo's name
 * for why (DeviceNotRegistered, MessageTooBig, MessageRateExceeded, InvalidCredentials…).
 */
export type PushReceipt = { status: "ok" } | { status: "error"; message: string; error: string | null };

/** The most receipt ids Expo answers in one request. */
export const receiptIdLimit = 1000;

export class PushClient {
  constructor(
    readonly apiBase: string,
    /** Expo's optional access token for push security; empty when not enabled. */
    readonly accessToken = "",
    readonly timeoutMs = 10_000,
  ) {}

  async send(messages: PushMessage[]): Promise<PushTicket[]> {
    const { res, body } = await this.post("send", messages);
    if (!res.ok || !Array.isArray(body?.data) || body.data.length !== messages.length) {
      throw new ProviderError(
        "push",
        res.status,
        `push provider answered ${res.status} without one ticket per message`,
      );
    }
    // What the provider says is stored, so its texts are made fit to store. An accepted
    // message is recorded as sent whatever its ticket id looks like (calling it failed would
    // invite a second send), with the id cleaned like any other text.
    return body.data.map((t: { status?: string; id?: unknown; message?: unknown; details?: { error?: unknown } }) =>
      t.status === "ok" && typeof t.id === "string" && t.id !== "" ? { status: "ok", id: storableNote(t.id, 255) } : {
        status: "error",
        ...errorOf(t),
      }
    );
  }

  /**
   * The receipts of the tickets `ids` that have one, by ticket id; an id with none yet (or
   * none any more) is absent. Only ids asked for are answered, whatever else comes back.
   */
  async getReceipts(ids: string[]): Promise<Map<string, PushReceipt>> {
    if (ids.length > receiptIdLimit) throw new RangeError(`at most ${receiptIdLimit} receipt ids per request`);
    const { res, body } = await this.post("getReceipts", { ids });
    const data = body?.data;
    if (!res.ok || data === null || typeof data !== "object" || Array.isArray(data)) {
      throw new ProviderError("push", res.status, `push provider answered ${res.status} without a receipts object`);
    }
    const receipts = new Map<string, PushReceipt>();
    for (const id of ids) {
      const r = Object.hasOwn(data, id) ? data[id] : undefined;
      if (r === null || typeof r !== "object") continue;
      receipts.set(id, r.status === "ok" ? { status: "ok" } : { status: "error", ...errorOf(r) });
    }
    return receipts;
  }

  private async post(route: "send" | "getReceipts", payload: unknown): Promise<{ res: Response; body: any }> {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
    if (this.accessToken) headers.authorization = `Bearer ${this.accessToken}`;
    let res: Response;
    try {
      res = await fetch(`${this.apiBase}/--/api/v2/push/${route}`, {
        method: "POST",
        headers,
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new ProviderError("push", null, `push provider unreachable: ${describeError(e)}`);
    }
    return { res, body: await res.json().catch(() => null) };
  }
}

/** A refusal's texts, made fit to store. */
function errorOf(t: { message?: unknown; details?: { error?: unknown } }): { message: string; error: string | null } {
  return {
    message: typeof t.message === "string" ? storableNote(t.message, 500) : "no detail",
    error: typeof t.details?.error === "string" ? storableNote(t.details.error, 100) : null,
  };
}
