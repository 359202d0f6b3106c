// What a person reads when a widget cannot show its figures: one plain sentence per error
// code or status, never a stack trace or the server's own text (which may name tables).
import { ApiError, MalformedData } from "./queries.ts";

/** The page the message is for: the dashboard's widgets or the operations page's panels. */
export type Audience = "analytics" | "operations";

export function messageFor(error: unknown, audience: Audience = "analytics"): string {
  if (error instanceof MalformedData) return "This widget received figures it could not read.";
  if (!(error instanceof ApiError)) return "Something went wrong while showing this.";
  switch (error.status) {
    case 0:
      return "The server cannot be reached — check your connection.";
    case 400:
      if (error.code === "range_too_large") return "This date range is too long — pick at most 92 days.";
      if (error.field === "event") return "That is not a valid event id.";
      if (error.field === "from" || error.field === "to") return "That date range is not valid.";
      return "The request was not understood.";
    case 401:
      return "Your session has ended — please sign in again.";
    case 403:
      return audience === "operations"
        ? "The operations page is for platform admins only."
        : "You don't have access to this event's figures.";
    case 404:
      return "This was not found.";
    case 408:
      return "The server took too long to answer.";
    case 429:
      return "Too many requests — please wait a moment.";
    case 503:
      return "The figures are unavailable right now — the database cannot be reached.";
    case 504:
      return audience === "analytics"
        ? "This date range took too long — try a shorter one."
        : "The server took too long to answer.";
  }
  if (error.status >= 500) return "The server had a problem — please try again shortly.";
  return "Something went wrong while loading this.";
}

/** The short reason a banner gives while cached figures are shown. */
export function bannerReason(error: unknown): string {
  if (error instanceof ApiError && error.status === 429) return "too many requests";
  return "live data unavailable";
}
