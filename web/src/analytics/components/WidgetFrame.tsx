// The frame every widget shares: skeleton on first load, then the figures with their age,
// the banner while live data fails, and the note when the server calls its figures stale.
import type { ReactNode } from "react";
import { clock } from "../../app/time.ts";
import type { ResilientResult } from "../../query/useResilientQuery.ts";
import type { Answer } from "../api/queries.ts";
import { Skeleton } from "./Skeleton.tsx";
import { StaleBanner, StaleNote } from "./StaleBanner.tsx";

interface Props<D> {
  id: string;
  title: string;
  result: ResilientResult<Answer<D>>;
  children: (data: D, answer: Answer<D>) => ReactNode;
}

export function WidgetFrame<D>({ id, title, result, children }: Props<D>) {
  const answer = result.data;
  return (
    <section className="widget" data-testid={`widget-${id}`} aria-busy={answer === undefined}>
      <h2>{title}</h2>
      {answer === undefined ? <Skeleton /> : (
        <>
          <StaleBanner asOf={answer.data_as_of} trouble={result.trouble} />
          {answer.stale && <StaleNote asOf={answer.data_as_of} />}
          <div className="widget-body">{children(answer.data, answer)}</div>
          <p className="age" data-testid="widget-age">
            Figures as of <time dateTime={answer.data_as_of}>{clock(answer.data_as_of)}</time>
            {" · fetched "}
            <time dateTime={new Date(result.dataUpdatedAt).toISOString()}>{clock(result.dataUpdatedAt)}</time>
          </p>
        </>
      )}
    </section>
  );
}
