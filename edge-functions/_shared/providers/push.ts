// The push adapter, in the shape of Expo's push API: POST {base}/--/api/v2/push/send with
// a JSON array of messages, one ticket back per message. The base URL is configurable so
// tests reach a local fake.
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

export class PushClient {
  constructor(
    readonly apiBase: string,
    /** Expo's optional access token for push security; empty when not enabled. */
    readonly accessToken = "",
    readonly timeoutMs = 10_000,
  ) {}

  async send(messages: PushMessage[]): Promise<PushTicket[]> {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
    if (this.accessToken) headers.authorization = `Bearer ${this.accessToken}`;
    let res: Response;
    try {
      res = await fetch(`${this.apiBase}/--/api/v2/push/send`, {
        method: "POST",
        headers,
        body: JSON.stringify(messages),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new ProviderError("push", null, `push provider unreachable: ${describeError(e)}`);
    }
    const body = await res.json().catch(() => null);
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
        message: typeof t.message === "string" ? storableNote(t.message, 500) : "no detail",
        error: typeof t.details?.error === "string" ? storableNote(t.details.error, 100) : null,
      }
    );
  }
}
