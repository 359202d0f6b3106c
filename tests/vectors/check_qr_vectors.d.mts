// Types for check_qr_vectors.mjs, so Deno type-checks its callers.
import type assertModule from "node:assert/strict";

export interface QrApi {
  ring(signingKeys: string): {
    signPrint(ticketId: string, eventId: string, iat: number): string;
    displayKey(ticketId: string, eventId: string): { kid: string; key: string };
    verify(
      code: string,
      eventId: string,
      now: number,
    ): { ok: boolean; kind?: string; ticketId?: string; reason?: string };
  };
  signLive(displayKey: string, kid: string, ticketId: string, eventId: string, iat: number): string;
  liveIat(now: number): number;
}

export const qrVectors: {
  tickets: {
    name: string;
    signing_keys: string;
    ticket_id: string;
    event_id: string;
    iat: number;
    print_mac_input_hex: string;
    print_code: string;
    kid: string;
    display_key: string;
    live_codes: { now: number; iat: number; mac_input_hex: string; code: string }[];
  }[];
  verify_cases: { name: string; signing_keys: string; code: string; event_id: string; now: number; expect: string }[];
};

export function checkQrVectors(api: QrApi, assert: typeof assertModule): number;
