// The operations page (platform admins): the e-mail and webhook queues with their dead
// letters and a Replay button, provider rates, push states, analytics refreshes and the
// scans per door in the last hour. One query and one error boundary per panel.
import { messageFor } from "../analytics/api/errors.ts";
import { Skeleton } from "../analytics/components/Skeleton.tsx";
import { StaleBanner } from "../analytics/components/StaleBanner.tsx";
import { WidgetBoundary } from "../analytics/components/WidgetBoundary.tsx";
import { clock } from "../app/time.ts";
import { type PanelId, panels, type Queue } from "./api.ts";
import { Section, Table } from "./DataView.tsx";
import { usePanel, useReplay } from "./usePanel.ts";

export function OperationsPage() {
  return (
    <div className="grid ops" data-testid="operations">
      {panels.map((p) => (
        <WidgetBoundary key={p.id} id={p.id} title={p.title} audience="operations">
          <Panel id={p.id} title={p.title} queue={"queue" in p ? p.queue : undefined} />
        </WidgetBoundary>
      ))}
    </div>
  );
}

function Panel({ id, title, queue }: { id: PanelId; title: string; queue?: Queue }) {
  const result = usePanel(id);
  const answer = result.data;
  return (
    <section className="widget" data-testid={`widget-${id}`} aria-busy={answer === undefined}>
      <h2>{title}</h2>
      {answer === undefined ? <Skeleton /> : (
        <>
          <StaleBanner asOf={answer.as_of} trouble={result.trouble} />
          <div className="widget-body">
            {Object.entries(answer.data).map(([k, v]) =>
              queue !== undefined && k === "dead_letters" && Array.isArray(v)
                ? <DeadLetters key={k} queue={queue} panel={id} rows={v as Record<string, unknown>[]} />
                : <Section key={k} name={k} value={v} />
            )}
          </div>
          <p className="age" data-testid="widget-age">
            As of <time dateTime={answer.as_of}>{clock(answer.as_of)}</time>
          </p>
        </>
      )}
    </section>
  );
}

function DeadLetters({ queue, panel, rows }: { queue: Queue; panel: PanelId; rows: Record<string, unknown>[] }) {
  const mutation = useReplay(queue, panel);
  const ids = rows.map((r) => r.id).filter((id): id is string | number =>
    typeof id === "string" || typeof id === "number"
  );
  const button = (targets: (string | number)[], text: string, testId: string) => (
    <button
      type="button"
      disabled={mutation.isPending || targets.length === 0}
      onClick={() => mutation.mutate(targets)}
      data-testid={testId}
    >
      {text}
    </button>
  );
  return (
    <div className="section" data-testid={`dead-letters-${queue}`}>
      <h3>
        dead letters {rows.length > 0 && button(ids, `Replay all ${ids.length}`, "replay-all")}
      </h3>
      {mutation.isSuccess && <p className="note" role="status" data-testid="replay-result">Replayed {mutation.data}.
      </p>}
      {mutation.isError && (
        <p className="banner" role="alert" data-testid="replay-error">{messageFor(mutation.error, "operations")}</p>
      )}
      <Table
        rows={rows}
        testId={`panel-dead_letters-${queue}`}
        extra={{
          title: "",
          render: (r) =>
            typeof r.id === "string" || typeof r.id === "number" ? button([r.id], "Replay", "replay") : null,
        }}
      />
    </div>
  );
}
