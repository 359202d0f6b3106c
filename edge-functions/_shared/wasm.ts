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

// Asked of the core at the first refusal, not at import: most functions never verify a code,
// and a first call into wasm costs a few tenths of a millisecond of every cold start.
let reasons: QrReason[] | undefined;
const encoder = new TextEncoder();

/** The UUID whose 16 bytes start at `at` in `b`. */
function uuid(b: Uint8Array, at: number): string {
  const h = (from: number, to: number) => {
    let s = "";
    for (let i = at + from; i < at + to; i++) s += hexByte[b[i]];
    return s;
  };
  return `${h(0, 4)}-${h(4, 6)}-${h(6, 8)}-${h(8, 10)}-${h(10, 16)}`;
}

/** The master signing keys (`QR_SIGNING_KEYS`), parsed once per function instance. */
export class QrKeys {
  readonly #ring: core.QrKeyRing;
  // The ring's verify buffer in wasm memory: the code goes in, an accepted ticket comes
  // out after it, with no string or array crossing the boundary (see crates/usher-wasm).
  readonly #ioAddress: number;
  readonly #ticketAt: number;
  #io: Uint8Array;
  #codeRoom: Uint8Array;
  // The event last handed to the core, which parses it once rather than with every code.
  #event: string | undefined;

  /** Throws a TypeError naming the problem (never the key) for a malformed secret. */
  constructor(signingKeys: string) {
    this.#ring = new core.QrKeyRing(signingKeys);
    this.#ioAddress = this.#ring.ioAddress;
    this.#ticketAt = this.#ring.ticketOffset;
    this.#io = this.#codeRoom = new Uint8Array(0);
    this.#view();
  }

  #view(): void {
    this.#io = new Uint8Array(core.memory.buffer, this.#ioAddress, this.#ticketAt + 16);
    this.#codeRoom = this.#io.subarray(0, this.#ticketAt);
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

  /** Throws a TypeError for a malformed `eventId` or a `nowSeconds` that is not an integer. */
  verify(code: string, eventId: string, nowSeconds: number): QrVerification {
    if (eventId !== this.#event) {
      this.#ring.setEvent(eventId);
      this.#event = eventId;
    }
    // Growing the wasm memory detaches the old buffer, and every view of it reads as empty.
    if (this.#io.byteLength === 0) this.#view();
    // The code's UTF-8, as the core would see it passed as a string. One that does not fit
    // is longer than any code the core reads, so it is handed over as one byte too long.
    const { read, written } = encoder.encodeInto(code, this.#codeRoom);
    const status = this.#ring.verify(read === code.length ? written : this.#ticketAt + 1, nowSeconds);
    if (status > 1) return { ok: false, reason: (reasons ??= core.qrReasons() as QrReason[])[status - 2] };
    return { ok: true, kind: status === 0 ? "print" : "live", ticketId: uuid(this.#io, this.#ticketAt) };
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

/** The retry schedules of crates/usher-retry. */
export type RetrySchedule = "email" | "webhook";

/** What a failed call deserves: another attempt, a wait that spends none, or no more tries. */
export type FailureClass = "retry" | "defer" | "give_up";

/** What follows a failure: `delayMs` from now, or a dead letter. */
export type RetryDecision =
  | { kind: "retry_at" | "defer"; delayMs: number }
  | { kind: "dead_letter"; delayMs: null };

/** Classifies a failed call: its HTTP status (null when no answer came) and the provider's error name. */
export function classifyFailure(status: number | null, name: string | null = null): FailureClass {
  return core.retryClassify(status, name) as FailureClass;
}

/** Milliseconds a `Retry-After` value read at `nowMs` asks for (capped at 24 h), or null when unreadable. */
export function retryAfterMs(value: string, nowMs: number): number | null {
  return core.retryAfterMs(value, nowMs) ?? null;
}

/** The jittered delay after attempt `attempt` (0 is the first try) of the job with `seed` fails. */
export function retryDelayMs(schedule: RetrySchedule, attempt: number, seed: number): number {
  return core.retryDelayMs(schedule, attempt, seed);
}

/** What follows the failure of attempt `attempt` of a job with `seed` and its own `maxAttempts`. */
export function nextRetry(
  schedule: RetrySchedule,
  maxAttempts: number,
  attempt: number,
  failure: FailureClass,
  retryAfter: number | null,
  seed: number,
): RetryDecision {
  const decision = core.retryNext(schedule, maxAttempts, attempt, failure, retryAfter, seed);
  try {
    const kind = decision.kind as RetryDecision["kind"];
    return kind === "dead_letter" ? { kind, delayMs: null } : { kind, delayMs: decision.delayMs! };
  } finally {
    // A wasm-side object: freed here, so no caller has to.
    decision.free();
  }
}

/** The QR code of `text` as a PNG, `modulePx` pixels a module; throws a TypeError for empty or over-long text. */
export function qrPng(text: string, modulePx = 8): Uint8Array {
  return core.qrPng(text, modulePx);
}

// Webhook signatures live in a module of their own, to keep this one readable; they are
// part of the same typed API and load the same wasm module.
export {
  signStandard,
  signStripe,
  StandardSignatureVerifier,
  type StandardVerification,
  StripeSignatureVerifier,
  type StripeVerification,
  type WebhookRefusal,
} from "./webhook_signature.ts";
