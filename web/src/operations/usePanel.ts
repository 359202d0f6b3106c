import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useApi } from "../app/api-context.tsx";
import { useResilientQuery } from "../query/useResilientQuery.ts";
import { fetchPanel, operationsKeys, type PanelAnswer, type PanelId, type Queue, replay } from "./api.ts";

/** One operations panel under the dashboard's retry rule. */
export function usePanel(panel: PanelId) {
  const api = useApi();
  return useResilientQuery<PanelAnswer>(operationsKeys.panel(panel), ({ signal }) => fetchPanel(api, panel, signal));
}

/** Replays dead letters of a queue, then asks for its panel again. */
export function useReplay(queue: Queue, panel: PanelId) {
  const api = useApi();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (ids: (string | number)[]) => replay(api, queue, ids),
    onSettled: () => client.invalidateQueries({ queryKey: operationsKeys.panel(panel) }),
  });
}
