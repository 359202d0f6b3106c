import type { RangeName, ScanOutcomesData } from "../api/queries.ts";
import { useScanOutcomes } from "../hooks/useAnalytics.ts";
import { count, percent } from "./format.ts";
import { WidgetFrame } from "./WidgetFrame.tsx";

export function ScanOutcomes({ eventId, range }: { eventId: string; range: RangeName }) {
  return (
    <WidgetFrame id="scan_outcomes" title="Scan outcomes" result={useScanOutcomes(eventId, range)}>
      {(data) => <Outcomes data={data} />}
    </WidgetFrame>
  );
}

function Outcomes({ data }: { data: ScanOutcomesData }) {
  const total = data.outcomes.reduce((n, o) => n + o.count, 0);
  const most = Math.max(1, ...data.outcomes.map((o) => o.count));
  if (data.outcomes.length === 0) return <p className="muted">No scans in this range.</p>;
  return (
    <ul className="bars">
      {data.outcomes.map((o) => (
        <li key={o.result} data-testid={`scan-outcome-${o.result}`}>
          <span className="bar-label">{o.result.replace(/_/g, " ")}</span>
          <span className="bar" style={{ width: `${(o.count / most) * 100}%` }} data-ok={o.result === "redeemed"} />
          <span className="bar-value">
            {count(o.count)} <small>{percent(o.count, total)}</small>
          </span>
        </li>
      ))}
    </ul>
  );
}
