// The organizer's dashboard for one event: five widgets, each with its own query and error
// boundary, so one that fails never blanks the others.
import { type FormEvent, useState } from "react";
import { dashboardHref } from "../app/router.ts";
import { type RangeName, ranges } from "./api/queries.ts";
import { CapacityGauge } from "./components/CapacityGauge.tsx";
import { CheckinsChart } from "./components/CheckinsChart.tsx";
import { EmailDelivery } from "./components/EmailDelivery.tsx";
import { SalesChart } from "./components/SalesChart.tsx";
import { ScanOutcomes } from "./components/ScanOutcomes.tsx";
import { WidgetBoundary } from "./components/WidgetBoundary.tsx";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const recentKey = "usher.recent-events";

function recentEvents(): string[] {
  try {
    const list: unknown = JSON.parse(localStorage.getItem(recentKey) ?? "[]");
    return Array.isArray(list) ? list.filter((e): e is string => typeof e === "string" && uuid.test(e)) : [];
  } catch {
    return [];
  }
}

function remember(eventId: string) {
  localStorage.setItem(
    recentKey,
    JSON.stringify([eventId, ...recentEvents().filter((e) => e !== eventId)].slice(0, 8)),
  );
}

export function Dashboard({ params }: { params: URLSearchParams }) {
  const eventId = params.get("event") ?? "";
  const rangeParam = params.get("range") ?? "30d";
  const range: RangeName = Object.hasOwn(ranges, rangeParam) ? (rangeParam as RangeName) : "30d";
  const valid = uuid.test(eventId);
  if (valid) remember(eventId.toLowerCase());
  return (
    <>
      {/* Keyed by the event, so its field shows the event the address names after a navigation. */}
      <EventPicker key={eventId} eventId={eventId} range={range} />
      {!valid
        ? (
          <p className="empty" data-testid="pick-event">
            {eventId === "" ? "Choose an event to see its figures." : "That is not a valid event id."}
          </p>
        )
        : <Widgets key={eventId} eventId={eventId.toLowerCase()} range={range} />}
    </>
  );
}

function Widgets({ eventId, range }: { eventId: string; range: RangeName }) {
  const keys = [eventId, range];
  return (
    <div className="grid" data-testid="dashboard">
      <WidgetBoundary id="sales" title="Tickets sold" resetKeys={keys}>
        <SalesChart eventId={eventId} range={range} />
      </WidgetBoundary>
      <WidgetBoundary id="capacity" title="Sold vs capacity" resetKeys={keys}>
        <CapacityGauge eventId={eventId} range={range} />
      </WidgetBoundary>
      <WidgetBoundary id="checkins" title="Check-ins by door" resetKeys={keys}>
        <CheckinsChart eventId={eventId} range={range} />
      </WidgetBoundary>
      <WidgetBoundary id="scan_outcomes" title="Scan outcomes" resetKeys={keys}>
        <ScanOutcomes eventId={eventId} range={range} />
      </WidgetBoundary>
      <WidgetBoundary id="email" title="E-mail delivery" resetKeys={keys}>
        <EmailDelivery eventId={eventId} range={range} />
      </WidgetBoundary>
    </div>
  );
}

function EventPicker({ eventId, range }: { eventId: string; range: RangeName }) {
  const [draft, setDraft] = useState(eventId);
  const go = (event: string, r: RangeName) => (location.hash = dashboardHref({ event: event.trim(), range: r }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    go(draft, range);
  };
  const recent = recentEvents();
  return (
    <form className="picker" onSubmit={submit} data-testid="event-picker">
      <label>
        Event
        <input
          name="event"
          list="recent-events"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          placeholder="event id (UUID)"
          spellCheck={false}
          size={38}
        />
      </label>
      <datalist id="recent-events">
        {recent.map((e) => <option key={e} value={e} />)}
      </datalist>
      <label>
        Range
        <select name="range" value={range} onChange={(e) => go(eventId, e.target.value as RangeName)}>
          {Object.keys(ranges).map((r) => (
            <option key={r} value={r}>last {r.replace("h", " hours").replace("d", " days")}</option>
          ))}
        </select>
      </label>
      <button type="submit">Show</button>
    </form>
  );
}
