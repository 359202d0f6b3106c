import { useEffect, useState } from "react";

/** "14:05", or "2 Dec 14:05" for another day: when figures are from, in the viewer's zone. */
export function clock(at: string | number, nowMs = Date.now()): string {
  const d = new Date(at);
  const time = d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false });
  if (new Date(nowMs).toDateString() === d.toDateString()) return time;
  return `${d.toLocaleDateString("en-GB", { day: "numeric", month: "short" })} ${time}`;
}

/** The current time, re-read every `everyMs` while `live` (a countdown's second hand). */
export function useNow(everyMs = 1000, live = true): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (!live) return;
    setNow(Date.now());
    const id = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(id);
  }, [everyMs, live]);
  return now;
}

/** Whole seconds from `nowMs` until `atMs`, never negative. */
export const secondsUntil = (atMs: number, nowMs: number) => Math.max(0, Math.ceil((atMs - nowMs) / 1000));
