import { createRoot } from "react-dom/client";
import { App } from "./app/App.tsx";
import { loadConfig } from "./app/config.ts";
import { readSession, takeTokenFromFragment } from "./app/session.ts";
import { loadCore } from "./core/usher.ts";
import "./styles.css";

const root = createRoot(document.getElementById("root")!);

// A Supabase implicit-flow redirect leaves the token in the fragment: keep it, then show the
// dashboard's route instead, so the token is neither in the history nor in a copied link.
const route = takeTokenFromFragment(location.hash, localStorage);
if (route !== null) history.replaceState(null, "", `${location.pathname}${location.search}${route}`);

// The retry schedule is the wasm core's, so it is loaded before any query can fail.
Promise.all([loadConfig(), loadCore()]).then(
  ([config]) => root.render(<App config={config} session={readSession(localStorage)} />),
  () =>
    root.render(
      <p className="empty" data-testid="app-error">
        The dashboard could not start: its configuration or its core did not load. Reload the page to try again.
      </p>,
    ),
);
