import { createContext, useContext } from "react";
import type { ApiContext } from "../analytics/api/queries.ts";

export const ApiCtx = createContext<ApiContext | null>(null);

/** Where the functions are and the signed-in user's token; provided by the app's root. */
export function useApi(): ApiContext {
  const api = useContext(ApiCtx);
  if (api === null) throw new Error("useApi outside ApiCtx");
  return api;
}
