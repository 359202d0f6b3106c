import type { CapacityData, RangeName } from "../api/queries.ts";
import { useCapacity } from "../hooks/useAnalytics.ts";
import { count, percent } from "./format.ts";
import { WidgetFrame } from "./WidgetFrame.tsx";

export function CapacityGauge({ eventId, range }: { eventId: string; range: RangeName }) {
  return (
    <WidgetFrame id="capacity" title="Sold vs capacity" result={useCapacity(eventId, range)}>
      {(data) => <Gauge data={data} />}
    </WidgetFrame>
  );
}

/** A half-circle of the capacity, filled as far as tickets are sold, and as far as redeemed. */
function Gauge({ data }: { data: CapacityData }) {
  const cap = data.capacity;
  const arc = (fraction: number) => {
    const a = Math.PI * (1 - Math.min(Math.max(fraction, 0), 1));
    return `M 10 60 A 50 50 0 0 1 ${60 + 50 * Math.cos(a)} ${60 - 50 * Math.sin(a)}`;
  };
  return (
    <div className="gauge">
      {cap !== null && cap > 0 && (
        <svg viewBox="0 0 120 70" role="img" aria-label={`${percent(data.sold, cap)} of capacity sold`}>
          <path d={arc(1)} className="gauge-track" />
          {data.sold > 0 && <path d={arc(data.sold / cap)} className="gauge-sold" />}
          {data.redeemed > 0 && <path d={arc(data.redeemed / cap)} className="gauge-redeemed" />}
          <text x="60" y="58" textAnchor="middle">{percent(data.sold, cap)}</text>
        </svg>
      )}
      <dl className="figures">
        <div>
          <dt>Sold</dt>
          <dd data-testid="capacity-sold">{count(data.sold)}</dd>
        </div>
        <div>
          <dt>Checked in</dt>
          <dd data-testid="capacity-redeemed">{count(data.redeemed)}</dd>
        </div>
        <div>
          <dt>Capacity</dt>
          <dd data-testid="capacity-capacity">{cap === null ? "unlimited" : count(cap)}</dd>
        </div>
      </dl>
    </div>
  );
}
