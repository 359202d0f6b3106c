// One hook per widget: the analytics function's answer for an event and a range, under the
// dashboard's retry rule, with the failure (if any) behind the figures it still shows.
import { useApi } from "../../app/api-context.tsx";
import { useResilientQuery } from "../../query/useResilientQuery.ts";
import {
  analyticsKeys,
  type Answer,
  fetchWidget,
  type RangeName,
  type Widget,
  type WidgetData,
} from "../api/queries.ts";

export function useWidget<W extends Widget>(widget: W, eventId: string, range: RangeName) {
  const api = useApi();
  return useResilientQuery<Answer<WidgetData[W]>>(
    analyticsKeys.widget(widget, eventId, range),
    ({ signal }) => fetchWidget(api, widget, eventId, range, signal),
  );
}

export const useSales = (eventId: string, range: RangeName) => useWidget("sales", eventId, range);
export const useCapacity = (eventId: string, range: RangeName) => useWidget("capacity", eventId, range);
export const useCheckins = (eventId: string, range: RangeName) => useWidget("checkins", eventId, range);
export const useScanOutcomes = (eventId: string, range: RangeName) => useWidget("scan_outcomes", eventId, range);
export const useEmailDelivery = (eventId: string, range: RangeName) => useWidget("email", eventId, range);
