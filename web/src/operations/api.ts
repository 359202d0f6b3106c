// The operations function's panels and replay (docs/analytics.md): platform admins only.
import { type ApiContext, requestJson } from "../analytics/api/queries.ts";
import { MalformedData } from "../analytics/api/validate.ts";

export const panels = [
  { id: "email_queue", title: "E-mail queue", queue: "email" },
  { id: "webhook_queue", title: "Webhook retry queue", queue: "webhook" },
  { id: "provider_rates", title: "Provider delivery and failure rates" },
  { id: "push_states", title: "Push delivery states" },
  { id: "refresh_runs", title: "Analytics refresh runs and staleness" },
  { id: "door_scans", title: "Scans per door, last hour" },
] as const;
export type PanelId = (typeof panels)[number]["id"];
export type Queue = "email" | "webhook";

export interface PanelAnswer {
  panel: string;
  as_of: string;
  data: Record<string, unknown>;
}

export const operationsKeys = {
  all: ["operations"] as const,
  panel: (panel: PanelId) => ["operations", panel] as const,
};

export async function fetchPanel(api: ApiContext, panel: PanelId, signal?: AbortSignal): Promise<PanelAnswer> {
  const body = await requestJson(api, `operations?panel=${panel}`, { signal });
  const b = body as Partial<PanelAnswer> | null;
  if (typeof b !== "object" || b === null) throw new MalformedData(panel, "answer");
  if (b.panel !== panel) throw new MalformedData(panel, "answer.panel");
  if (typeof b.as_of !== "string" || Number.isNaN(Date.parse(b.as_of))) throw new MalformedData(panel, "answer.as_of");
  if (typeof b.data !== "object" || b.data === null || Array.isArray(b.data)) {
    throw new MalformedData(panel, "answer.data");
  }
  return b as PanelAnswer;
}

export async function replay(api: ApiContext, queue: Queue, ids: (string | number)[]): Promise<number> {
  const body = await requestJson(api, "operations/replay", { method: "POST", body: { queue, ids } });
  const n = (body as { replayed?: unknown } | null)?.replayed;
  if (!Number.isSafeInteger(n)) throw new MalformedData("replay", "answer.replayed");
  return n as number;
}
