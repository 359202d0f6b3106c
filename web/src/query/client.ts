import { QueryClient } from "@tanstack/react-query";
import { maxAgeMs } from "./persist.ts";

/**
 * The app's QueryClient. Queries stay in memory as long as the persister keeps them (24 h):
 * one collected sooner would also vanish from storage with its fallback figures.
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { gcTime: maxAgeMs, staleTime: 30_000 } } });
}
