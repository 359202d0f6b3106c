import { useMemo } from "react";
import type uPlot from "uplot";
import type { CheckinsData, RangeName } from "../api/queries.ts";
import { useCheckins } from "../hooks/useAnalytics.ts";
import { fromZero, palette } from "./chart.ts";
import { count } from "./format.ts";
import { UPlotChart } from "./UPlotChart.tsx";
import { WidgetFrame } from "./WidgetFrame.tsx";

export function CheckinsChart({ eventId, range }: { eventId: string; range: RangeName }) {
  return (
    <WidgetFrame id="checkins" title="Check-ins by door" result={useCheckins(eventId, range)}>
      {(data) => <Checkins data={data} />}
    </WidgetFrame>
  );
}

/** The buckets as uPlot's aligned columns: one x per instant, one series per door. */
export function byDoor(data: CheckinsData): { doors: string[]; totals: number[]; columns: uPlot.AlignedData } {
  const instants = [...new Set(data.buckets.map((b) => Date.parse(b.at)))].sort((a, b) => a - b);
  const doors = [...new Set(data.buckets.map((b) => b.door))].sort();
  const row = new Map(instants.map((t, i) => [t, i]));
  const cols = doors.map(() => instants.map(() => 0));
  const totals = doors.map(() => 0);
  for (const b of data.buckets) {
    const d = doors.indexOf(b.door);
    cols[d][row.get(Date.parse(b.at))!] += b.admitted;
    totals[d] += b.admitted;
  }
  return { doors, totals, columns: [instants.map((t) => t / 1000), ...cols] };
}

function Checkins({ data }: { data: CheckinsData }) {
  const { doors, totals, columns } = useMemo(() => byDoor(data), [data]);
  const options = useMemo<Omit<uPlot.Options, "width" | "height">>(() => ({
    legend: { show: false },
    scales: { x: { time: true }, y: { range: fromZero } },
    series: [{}, ...doors.map((door, i) => ({ label: door, stroke: palette[i % palette.length], width: 2 }))],
  }), [doors]);
  return (
    <>
      <dl className="figures">
        <div>
          <dt>Admitted</dt>
          <dd data-testid="checkins-admitted">{count(totals.reduce((a, b) => a + b, 0))}</dd>
        </div>
      </dl>
      {doors.length > 0
        ? (
          <>
            <UPlotChart options={options} data={columns} label={`Check-ins by door and ${data.bucket}`} />
            <ul className="legend">
              {doors.map((door, i) => (
                <li key={door} data-testid="checkins-door">
                  <span className="swatch" style={{ background: palette[i % palette.length] }} />
                  {door} <strong>{count(totals[i])}</strong>
                </li>
              ))}
            </ul>
          </>
        )
        : <p className="muted">No check-ins in this range.</p>}
    </>
  );
}
