// The app's root: the signed-in user's own QueryClient and persisted cache, the functions'
// URL, and the page the hash names.
import { PersistQueryClientProvider } from "@tanstack/react-query-persist-client";
import { useMemo } from "react";
import { Dashboard } from "../analytics/Dashboard.tsx";
import { OperationsPage } from "../operations/OperationsPage.tsx";
import { createQueryClient } from "../query/client.ts";
import { persistOptions } from "../query/persist.ts";
import { ApiCtx } from "./api-context.tsx";
import type { AppConfig } from "./config.ts";
import { useRoute } from "./router.ts";
import { type Session, signOut } from "./session.ts";

export function App({ config, session }: { config: AppConfig; session: Session | null }) {
  const route = useRoute();
  return (
    <>
      <header className="top">
        <strong>Usher</strong>
        <nav>
          <a href="#/" aria-current={route.page === "dashboard" ? "page" : undefined}>Dashboard</a>
          <a href="#/operations" aria-current={route.page === "operations" ? "page" : undefined}>Operations</a>
        </nav>
        {session && (
          <button
            type="button"
            className="link"
            onClick={() => {
              signOut(localStorage);
              location.reload();
            }}
          >
            Sign out
          </button>
        )}
      </header>
      <main>
        {session === null ? <SignIn /> : (
          <SignedIn key={session.userId} config={config} session={session}>
            {route.page === "operations" ? <OperationsPage /> : <Dashboard params={route.params} />}
          </SignedIn>
        )}
      </main>
    </>
  );
}

function SignedIn({ config, session, children }: { config: AppConfig; session: Session; children: React.ReactNode }) {
  // Keyed by the user above: another user gets another client and another stored cache.
  const client = useMemo(createQueryClient, []);
  const persist = useMemo(() => persistOptions(localStorage, session.userId), [session.userId]);
  const api = useMemo(() => ({ functionsUrl: config.functionsUrl, accessToken: session.accessToken }), [
    config.functionsUrl,
    session.accessToken,
  ]);
  return (
    <PersistQueryClientProvider client={client} persistOptions={persist}>
      <ApiCtx.Provider value={api}>{children}</ApiCtx.Provider>
    </PersistQueryClientProvider>
  );
}

function SignIn() {
  return (
    <p className="empty" data-testid="sign-in">
      Sign in to see your events' figures.
    </p>
  );
}
