// The one module that loads Usher's wasm core and re-exports a typed API. The bytes are
// embedded in pkg/deno/usher_wasm.js and instantiated synchronously at import, so the
// module survives `supabase functions deploy` without `static_files` or an async init.
import * as core from "../../pkg/deno/mod.js";
import { hexByte } from "./ids.ts";

/** The version of the Rust core compiled into the wasm module. */
export const coreVersion: string = core.version();

/** Why a code was refused by the core, before any database lookup. */
export type QrReason = "malformed" | "unknown_key" | "invalid_signature" | "expired" | "not_yet_valid";

export type QrVerification =
  | { ok: true; kind: "print" | "live"; ticketId: string }
  | { ok: false; reason: QrReason };

const reasons = core.qrReasons() as QrReason[];

function uuid(b: Uint8Array): string {
  const h = (from: number, to: number) => {
    let s = "";
    for (let i = from; i < to; i++) s += hexByte[b[i]];
    return s;
  };
  return `${h(0, 4)}-${h(4, 6)}-${h(6, 8)}-${h(8, 10)}-${h(10, 16)}`;
}

/** The master signing keys (`QR_SIGNING_KEYS`), parsed once per function instance. */
export class QrKeys {
  readonly #ring: core.QrKeyRing;
  // Reused for every verification: the core writes the accepted ticket's id here.
  readonly #ticket = new Uint8Array(16);

  /** Throws a TypeError naming the problem (never the key) for a malformed secret. */
  constructor(signingKeys: string) {
    this.#ring = new core.QrKeyRing(signingKeys);
  }

  get activeKid(): string {
    return this.#ring.activeKid;
  }

  signPrint(ticketId: string, eventId: string, iatSeconds: number): string {
    return this.#ring.signPrint(ticketId, eventId, iatSeconds);
  }

  /** The per-ticket key a holder's phone signs live codes with. */
  displayKey(ticketId: string, eventId: string): { kid: string; key: string } {
    return this.#ring.displayKey(ticketId, eventId);
  }

  verify(code: string, eventId: string, nowSeconds: number): QrVerification {
    const status = this.#ring.verify(code, eventId, nowSeconds, this.#ticket);
    if (status > 1) return { ok: false, reason: reasons[status - 2] };
    return { ok: true, kind: status === 0 ? "print" : "live", ticketId: uuid(this.#ticket) };
  }
}

/** A live code, as the holder's phone computes it every 30 s from its display key. */
export function signLive(displayKey: string, kid: string, ticketId: string, eventId: string, iat: number): string {
  return core.qrSignLive(displayKey, kid, ticketId, eventId, iat);
}

/** The issued-at of the live code current at `nowSeconds`. */
export function liveIat(nowSeconds: number): number {
  return core.qrLiveIat(nowSeconds);
}

/** The ticket id a code claims, unverified: only for explaining a refusal. */
export function claimedTicket(code: string): string | null {
  return core.qrClaimedTicket(code) ?? null;
}

/** A GCRA decision, field for field the crate's `Decision`; every store answers these too. */
export interface GcraDecision {
  allowed: boolean;
  /** The cost exceeds the burst: waiting will never help. */
  tooLarge: boolean;
  remaining: number;
  /** Microseconds until the same request would be admitted; null unless refused for now. */
  retryAfterUs: number | null;
  /** Microseconds until the key is back to its full burst. */
  resetAfterUs: number;
  /** The key's new state when admitted (to store); null when the state must not change. */
  tatUs: number | null;
}

/** A validated GCRA quota: `count` per `periodUs`, up to `burst` at once. */
export class Gcra {
  readonly #quota: core.GcraQuota;

  constructor(readonly count: number, readonly periodUs: number, readonly burst: number) {
    this.#quota = new core.GcraQuota(count, periodUs, burst);
  }

  decide(tatUs: number | null, nowUs: number, cost = 1): GcraDecision {
    return this.#quota.decide(tatUs ?? undefined, nowUs, cost);
  }
}

/** A new `kid:base64url` entry for QR_SIGNING_KEYS, from 32 bytes of the CSPRNG. */
export function generateQrKey(kid: string): string {
  return core.qrGenerateKey(kid);
}
