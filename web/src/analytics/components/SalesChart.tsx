import { useMemo } from "react";
import type uPlot from "uplot";
import { useSales } from "../hooks/useAnalytics.ts";
import type { RangeName, SalesData } from "../api/queries.ts";
import { count, money } from "./format.ts";
import { UPlotChart } from "./UPlotChart.tsx";
import { WidgetFrame } from "./WidgetFrame.tsx";
import { bars, fromZero, palette } from "./chart.ts";

export function SalesChart({ eventId, range }: { eventId: string; range: RangeName }) {
  return (
    <WidgetFrame id="sales" title="Tickets sold" result={useSales(eventId, range)}>
      {(data) => <Sales data={data} />}
    </WidgetFrame>
  );
}

function Sales({ data }: { data: SalesData }) {
  const tickets = data.buckets.reduce((n, b) => n + b.tickets, 0);
  const revenue = data.buckets.reduce((n, b) => n + b.revenue_cents, 0);
  const [options, series] = useMemo(() => {
    const step = data.bucket === "hour" ? 3600 : 86400;
    const options: Omit<uPlot.Options, "width" | "height"> = {
      legend: { show: false },
      // Counts and money from zero, so a bar's height is its share; time padded by a bucket on
      // each side, so a single bar sits in its own hour or day rather than on a span of years.
      scales: {
        x: { time: true, range: (_u, min, max) => [min - step, max + step] },
        y: { range: fromZero },
        revenue: { range: fromZero },
      },
      axes: [
        {},
        {},
        {
          scale: "revenue",
          side: 1,
          size: 72,
          grid: { show: false },
          values: (_u, v) => v.map((c) => money(c, data.currency)),
        },
      ],
      series: [
        {},
        { label: "tickets", fill: palette[0] + "99", stroke: palette[0], paths: bars },
        { label: "revenue", scale: "revenue", stroke: palette[1], width: 2 },
      ],
    };
    const series: uPlot.AlignedData = [
      data.buckets.map((b) => Date.parse(b.at) / 1000),
      data.buckets.map((b) => b.tickets),
      data.buckets.map((b) => b.revenue_cents),
    ];
    return [options, series];
  }, [data]);
  return (
    <>
      <dl className="figures">
        <div>
          <dt>Tickets</dt>
          <dd data-testid="sales-tickets">{count(tickets)}</dd>
        </div>
        <div>
          <dt>Revenue</dt>
          <dd data-testid="sales-revenue">{money(revenue, data.currency)}</dd>
        </div>
      </dl>
      {data.buckets.length > 0
        ? <UPlotChart options={options} data={series} label={`Tickets and revenue by ${data.bucket}`} />
        : <p className="muted">No sales in this range.</p>}
    </>
  );
}
