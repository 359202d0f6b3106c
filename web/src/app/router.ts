// A hash router of two pages: `#/` (the dashboard, `#/?event=…&range=…`) and `#/operations`.
// `?event=` in the page's own query string is read too, for links made without the hash.
import { useEffect, useState } from "react";

export interface Route {
  page: "dashboard" | "operations";
  params: URLSearchParams;
}

export function parseRoute(hash: string, search: string): Route {
  const [path, query = ""] = hash.replace(/^#/, "").split("?", 2);
  const params = new URLSearchParams(search);
  for (const [k, v] of new URLSearchParams(query)) params.set(k, v);
  return { page: path.replace(/\/+$/, "") === "/operations" ? "operations" : "dashboard", params };
}

export function useRoute(): Route {
  const read = () => parseRoute(location.hash, location.search);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

export function dashboardHref(params: Record<string, string>): string {
  return `#/?${new URLSearchParams(params)}`;
}
