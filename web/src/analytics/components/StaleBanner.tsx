// What a widget says about the age of the figures it shows: the banner while live data is
// failing ("Showing figures from 14:05 — live data unavailable, retrying in 20 s") and a
// note when the server itself says its figures are stale (a delayed refresh).
import { clock, secondsUntil, useNow } from "../../app/time.ts";
import type { Trouble } from "../../query/useResilientQuery.ts";
import { bannerReason } from "../api/errors.ts";

export function StaleBanner({ asOf, trouble }: { asOf: string; trouble: Trouble | null }) {
  const now = useNow(1000, trouble !== null);
  if (trouble === null) return null;
  const wait = trouble.nextTryAt === null ? null : secondsUntil(trouble.nextTryAt, now);
  const when = wait === null ? "" : wait === 0 ? ", retrying now" : `, retrying in ${wait} s`;
  return (
    <p className="banner" role="status" data-testid="stale-banner">
      Showing figures from {clock(asOf, now)} — {bannerReason(trouble.error)}
      {when}
    </p>
  );
}

export function StaleNote({ asOf }: { asOf: string }) {
  return (
    <p className="note" data-testid="stale-note">
      Figures last refreshed at {clock(asOf)} (refresh delayed)
    </p>
  );
}
