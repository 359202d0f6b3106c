// One error boundary per widget: a widget whose fetch failed with nothing cached, whose data
// is malformed or whose rendering threw shows a plain message and a Retry button, and the
// rest of the page goes on. Resetting clears the failed queries through
// useQueryErrorResetBoundary, so the widget fetches again as it mounts.
import { useQueryErrorResetBoundary } from "@tanstack/react-query";
import { type ReactNode, useEffect, useState } from "react";
import { ErrorBoundary, type FallbackProps } from "react-error-boundary";
import { secondsUntil, useNow } from "../../app/time.ts";
import { isTransient, keySeed, pollDelay } from "../../query/retry.ts";
import { type Audience, messageFor } from "../api/errors.ts";
import { ApiError } from "../api/queries.ts";

interface Props {
  /** The widget's test id and name, e.g. `sales`. */
  id: string;
  title: string;
  audience?: Audience;
  /** Changing any of these (another event, another range) clears the boundary. */
  resetKeys?: unknown[];
  children: ReactNode;
}

export function WidgetBoundary({ id, title, audience = "analytics", resetKeys, children }: Props) {
  const { reset } = useQueryErrorResetBoundary();
  return (
    <ErrorBoundary
      onReset={reset}
      resetKeys={resetKeys}
      fallbackRender={(props) => <WidgetError {...props} id={id} title={title} audience={audience} />}
    >
      {children}
    </ErrorBoundary>
  );
}

function WidgetError(
  { error, resetErrorBoundary, id, title, audience }: FallbackProps & { id: string; title: string; audience: Audience },
) {
  // A transient failure with nothing cached tries again by itself on the schedule's last delay,
  // as a widget with cached figures does, so the page recovers when the backend returns.
  // Fixed for the life of this fallback: recomputed on every render it would never arrive.
  const [autoAt] = useState(() => isTransient(error) ? Date.now() + pollDelay(error, keySeed([id]), 0) : null);
  const now = useNow(1000, autoAt !== null);
  useEffect(() => {
    if (autoAt === null) return;
    const t = setTimeout(resetErrorBoundary, Math.max(0, autoAt - Date.now()));
    return () => clearTimeout(t);
  }, [autoAt, resetErrorBoundary]);
  const code = error instanceof ApiError ? error.code : error instanceof Error ? error.name : "error";
  return (
    <section className="widget widget-failed" data-testid={`widget-${id}`}>
      <h2>{title}</h2>
      <div className="widget-error" role="alert" data-testid="widget-error" data-code={code}>
        <p>{messageFor(error, audience)}</p>
        {autoAt !== null && <p className="muted">Trying again in {secondsUntil(autoAt, now)} s.</p>}
        <button type="button" onClick={resetErrorBoundary} data-testid="widget-retry">Retry</button>
      </div>
    </section>
  );
}
