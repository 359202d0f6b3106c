// The edge functions' binding of Usher's wasm core to the typed API of core/api.ts, which the
// browser binds too (web/src/core/usher.ts). The bytes are embedded in pkg/deno/usher_wasm.js
// and instantiated synchronously at import, so the module survives `supabase functions deploy`
// without `static_files` or an async init.
import * as wasm from "../../pkg/deno/mod.js";
import * as api from "./core/api.ts";

const core: api.UsherCore = api.bindCore(wasm, wasm.memory);

export const {
  coreVersion,
  QrKeys,
  Gcra,
  signLive,
  liveIat,
  claimedTicket,
  generateQrKey,
  qrPng,
  classifyFailure,
  retryAfterMs,
  retryDelayMs,
  nextRetry,
  StripeSignatureVerifier,
  StandardSignatureVerifier,
  signStripe,
  signStandard,
} = core;

// Each class above is a value; these are the types of its instances, under the same names.
export type QrKeys = api.QrKeys;
export type Gcra = api.Gcra;
export type StripeSignatureVerifier = api.StripeSignatureVerifier;
export type StandardSignatureVerifier = api.StandardSignatureVerifier;

export type {
  FailureClass,
  GcraDecision,
  QrReason,
  QrVerification,
  RetryDecision,
  RetrySchedule,
  StandardVerification,
  StripeVerification,
  WebhookRefusal,
} from "./core/api.ts";
