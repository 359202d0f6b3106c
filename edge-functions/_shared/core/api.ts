// Usher's wasm core as one typed API, for every host that loads it: the edge functions (the
// embedded build, bound by _shared/wasm.ts) and the browser (pkg/web, bound by
// web/src/core/usher.ts). This module imports nothing from Deno, npm or Node, nor the wasm
// itself: a binding instantiates the wasm-bindgen module its own way and hands it, with the
// instance's memory, to `bindCore`, which answers the API. So there is one place that turns
// the core's numbers, codes and wasm objects into types, and no host writes it again.
import { hexByte } from "../ids.ts";
import { webhookApi, type WebhookCore } from "./webhook.ts";

/**
 * What this layer uses of the wasm-bindgen module (pkg/web/usher.d.ts, copied to pkg/deno),
 * written out so that either build satisfies it structurally.
 */
export interface WasmCore extends WebhookCore {
  version(): string;
  QrKeyRing: new (signingKeys: string) => {
    readonly activeKid: string;
    readonly ioAddress: number;
    readonly ticketOffset: number;
    signPrint(ticketId: string, eventId: string, iat: number): string;
    displayKey(ticketId: string, eventId: string): { kid: string; key: string };
    setEvent(eventId: string): void;
    verify(len: number, now: number): number;
  };
  GcraQuota: new (count: number, periodUs: number, burst: number) => {
    decide(tatUs: number | undefined, nowUs: number, cost: number): GcraDecision;
  };
  qrReasons(): string[];
  qrSignLive(displayKey: string, kid: string, ticketId: string, eventId: string, iat: number): string;
  qrLiveIat(now: number): number;
  qrClaimedTicket(code: string): string | undefined;
  qrGenerateKey(kid: string): string;
  qrPng(text: string, modulePx: number): Uint8Array;
  retryClassify(status: number | null, name: string | null): string;
  retryAfterMs(value: string, nowMs: number): number | undefined;
  retryDelayMs(schedule: string, attempt: number, seed: number): number;
  retryNext(
    schedule: string,
    maxAttempts: number,
    attempt: number,
    failure: string,
    retryAfterMs: number | null,
    seed: number,
  ): { readonly kind: string; readonly delayMs: number | undefined; free(): void };
}

/** Why a code was refused by the core, before any database lookup. */
export type QrReason = "malformed" | "unknown_key" | "invalid_signature" | "expired" | "not_yet_valid";

export type QrVerification =
  | { ok: true; kind: "print" | "live"; ticketId: string }
  | { ok: false; reason: QrReason };

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

/** The retry schedules of crates/usher-retry. */
export type RetrySchedule = "email" | "webhook" | "dashboard";

/** What a failed call deserves: another attempt, a wait that spends none, or no more tries. */
export type FailureClass = "retry" | "defer" | "give_up";

/** What follows a failure: `delayMs` from now, or a dead letter. */
export type RetryDecision =
  | { kind: "retry_at" | "defer"; delayMs: number }
  | { kind: "dead_letter"; delayMs: null };

export type { StandardVerification, StripeVerification, WebhookRefusal } from "./webhook.ts";

/** The typed API over one instance of the core. */
export type UsherCore = ReturnType<typeof bindCore>;
/** The master signing keys, parsed once per instance; see `UsherCore["QrKeys"]`. */
export type QrKeys = InstanceType<UsherCore["QrKeys"]>;
/** A validated GCRA quota; see `UsherCore["Gcra"]`. */
export type Gcra = InstanceType<UsherCore["Gcra"]>;
export type StripeSignatureVerifier = InstanceType<UsherCore["StripeSignatureVerifier"]>;
export type StandardSignatureVerifier = InstanceType<UsherCore["StandardSignatureVerifier"]>;

/** The UUID whose 16 bytes start at `at` in `b`. */
function uuid(b: Uint8Array, at: number): string {
  const h = (from: number, to: number) => {
    let s = "";
    for (let i = at + from; i < at + to; i++) s += hexByte[b[i]];
    return s;
  };
  return `${h(0, 4)}-${h(4, 6)}-${h(6, 8)}-${h(8, 10)}-${h(10, 16)}`;
}

/**
 * The typed API over `wasm`, an instantiated wasm-bindgen module, whose instance's memory is
 * `memory` (QrKeys reads each code through a buffer there). Bind once per instance: each call
 * makes classes of its own.
 */
export function bindCore(wasm: WasmCore, memory: WebAssembly.Memory) {
  // Asked of the core at the first refusal, not at binding: most functions never verify a code,
  // and a first call into wasm costs a few tenths of a millisecond of every cold start.
  let reasons: QrReason[] | undefined;
  const encoder = new TextEncoder();

  /** The master signing keys (`QR_SIGNING_KEYS`), parsed once per function instance. */
  class QrKeys {
    readonly #ring: InstanceType<WasmCore["QrKeyRing"]>;
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
      this.#ring = new wasm.QrKeyRing(signingKeys);
      this.#ioAddress = this.#ring.ioAddress;
      this.#ticketAt = this.#ring.ticketOffset;
      this.#io = this.#codeRoom = new Uint8Array(0);
      this.#view();
    }

    #view(): void {
      this.#io = new Uint8Array(memory.buffer, this.#ioAddress, this.#ticketAt + 16);
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
      if (status > 1) return { ok: false, reason: (reasons ??= wasm.qrReasons() as QrReason[])[status - 2] };
      return { ok: true, kind: status === 0 ? "print" : "live", ticketId: uuid(this.#io, this.#ticketAt) };
    }
  }

  /** A validated GCRA quota: `count` per `periodUs`, up to `burst` at once. */
  class Gcra {
    readonly #quota: InstanceType<WasmCore["GcraQuota"]>;

    constructor(readonly count: number, readonly periodUs: number, readonly burst: number) {
      this.#quota = new wasm.GcraQuota(count, periodUs, burst);
    }

    decide(tatUs: number | null, nowUs: number, cost = 1): GcraDecision {
      return this.#quota.decide(tatUs ?? undefined, nowUs, cost);
    }
  }

  return {
    /** The version of the Rust core compiled into the wasm module. */
    coreVersion: wasm.version(),
    QrKeys,
    Gcra,

    /** A live code, as the holder's phone computes it every 30 s from its display key. */
    signLive(displayKey: string, kid: string, ticketId: string, eventId: string, iat: number): string {
      return wasm.qrSignLive(displayKey, kid, ticketId, eventId, iat);
    },

    /** The issued-at of the live code current at `nowSeconds`. */
    liveIat(nowSeconds: number): number {
      return wasm.qrLiveIat(nowSeconds);
    },

    /** The ticket id a code claims, unverified: only for explaining a refusal. */
    claimedTicket(code: string): string | null {
      return wasm.qrClaimedTicket(code) ?? null;
    },

    /** A new `kid:base64url` entry for QR_SIGNING_KEYS, from 32 bytes of the CSPRNG. */
    generateQrKey(kid: string): string {
      return wasm.qrGenerateKey(kid);
    },

    /** The QR code of `text` as a PNG, `modulePx` pixels a module; throws a TypeError for empty or over-long text. */
    qrPng(text: string, modulePx = 8): Uint8Array {
      return wasm.qrPng(text, modulePx);
    },

    /** Classifies a failed call: its HTTP status (null when no answer came) and the provider's error name. */
    classifyFailure(status: number | null, name: string | null = null): FailureClass {
      return wasm.retryClassify(status, name) as FailureClass;
    },

    /** Milliseconds a `Retry-After` value read at `nowMs` asks for (capped at 24 h), or null when unreadable. */
    retryAfterMs(value: string, nowMs: number): number | null {
      return wasm.retryAfterMs(value, nowMs) ?? null;
    },

    /** The jittered delay after attempt `attempt` (0 is the first try) of the job with `seed` fails. */
    retryDelayMs(schedule: RetrySchedule, attempt: number, seed: number): number {
      return wasm.retryDelayMs(schedule, attempt, seed);
    },

    /** What follows the failure of attempt `attempt` of a job with `seed` and its own `maxAttempts`. */
    nextRetry(
      schedule: RetrySchedule,
      maxAttempts: number,
      attempt: number,
      failure: FailureClass,
      retryAfter: number | null,
      seed: number,
    ): RetryDecision {
      const decision = wasm.retryNext(schedule, maxAttempts, attempt, failure, retryAfter, seed);
      try {
        const kind = decision.kind as RetryDecision["kind"];
        return kind === "dead_letter" ? { kind, delayMs: null } : { kind, delayMs: decision.delayMs! };
      } finally {
        // A wasm-side object: freed here, so no caller has to.
        decision.free();
      }
    },

    ...webhookApi(wasm),
  };
}
