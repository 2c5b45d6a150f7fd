import { useEffect, useState } from "preact/hooks";
import { getToken, setToken } from "./api";
import { DashboardPage } from "./pages/DashboardPage";
import { SessionPage } from "./pages/SessionPage";
import { SessionsPage } from "./pages/SessionsPage";
import { TracePage } from "./pages/TracePage";
import { TracesPage } from "./pages/TracesPage";
import { match, navigate, useLocation, type Location } from "./router";
import { toggleTheme, useTheme } from "./theme";

/** Replaces the current URL after the render (navigating during a render would be lost). */
function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, true), [to]);
  return null;
}

function Route({ loc }: { loc: Location }) {
  const p = loc.path;
  if (p === "/" || p === "") return <Redirect to={"/traces" + (loc.query.toString() ? "?" + loc.query.toString() : "")} />;
  if (p === "/traces") return <TracesPage loc={loc} />;
  let m = match("/traces/:id", p);
  if (m) return <TracePage id={m.id} loc={loc} key={m.id} />;
  if (p === "/sessions") return <SessionsPage loc={loc} />;
  m = match("/sessions/:id", p);
  if (m) return <SessionPage id={m.id} key={m.id} />;
  if (p === "/dashboard") return <DashboardPage loc={loc} />;
  return (
    <div class="page">
      <h1>Not found</h1>
      <p>
        There is no page at <code>{p}</code>. Go to <a href="/traces">Traces</a>.
      </p>
    </div>
  );
}

/** Asks for the API token after a 401 and keeps it in localStorage. */
function TokenDialog({ onDone }: { onDone: () => void }) {
  const [value, setValue] = useState(getToken());
  return (
    <div class="modal-backdrop">
      <form
        class="modal"
        data-testid="token-dialog"
        onSubmit={(e) => {
          e.preventDefault();
          setToken(value.trim());
          onDone();
        }}
      >
        <h2>API token required</h2>
        <p class="small">
          This Cairn server was started with an API token. Enter it to continue; it is kept in this browser's local storage and
          sent as <code>Authorization: Bearer …</code>.
        </p>
        {getToken() && <p class="small err-text">The saved token was rejected.</p>}
        <input type="password" autoFocus value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} aria-label="API token" />
        <div class="modal-actions">
          <button type="submit" class="primary">Save and retry</button>
        </div>
      </form>
    </div>
  );
}

const NAV = [
  { href: "/traces", label: "Traces" },
  { href: "/sessions", label: "Sessions" },
  { href: "/dashboard", label: "Dashboard" },
];

export function App() {
  const loc = useLocation();
  const theme = useTheme();
  const [needToken, setNeedToken] = useState(false);
  const [epoch, setEpoch] = useState(0);
  useEffect(() => {
    const h = () => setNeedToken(true);
    window.addEventListener("cairn:auth-required", h);
    return () => window.removeEventListener("cairn:auth-required", h);
  }, []);
  return (
    <>
      <header class="topbar">
        <a href="/traces" class="brand" aria-label="Cairn home">
          <img src="/favicon.svg" alt="" width="20" height="20" /> Cairn
        </a>
        <nav>
          {NAV.map((n) => (
            <a key={n.href} href={n.href} class={loc.path.startsWith(n.href) ? "active" : ""}>
              {n.label}
            </a>
          ))}
        </nav>
        <span class="spacer" />
        <span class="muted small hint">/ search · j/k move · Enter open</span>
        <button type="button" class="icon-btn theme-toggle" data-testid="theme-toggle" onClick={toggleTheme} title="Toggle light/dark theme">
          {theme === "dark" ? "☀ Light" : "☾ Dark"}
        </button>
      </header>
      <main key={epoch}>
        <Route loc={loc} />
      </main>
      {needToken && (
        <TokenDialog
          onDone={() => {
            setNeedToken(false);
            setEpoch((e) => e + 1);
          }}
        />
      )}
    </>
  );
}
