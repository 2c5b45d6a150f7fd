// A minimal history-API router: the whole UI state lives in the URL (path + query), so every
// view is a deep link that survives a reload.
import { useEffect, useState } from "preact/hooks";

export interface Location {
  path: string;
  query: URLSearchParams;
}

function current(): Location {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

const listeners = new Set<() => void>();

function notify() {
  listeners.forEach((l) => l());
}

window.addEventListener("popstate", notify);

/** Navigates to an app URL; replace=true edits the current history entry (filters while typing). */
export function navigate(url: string, replace = false): void {
  if (url === window.location.pathname + window.location.search) return;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  notify();
}

/**
 * Records url in the current history entry without re-rendering: for state the view already
 * shows (the selected span of a trace), so that a reload or a shared link shows it again. The
 * location the app renders from catches up at the next navigate or popstate.
 */
export function replaceQuietly(url: string): void {
  if (url !== window.location.pathname + window.location.search) history.replaceState(null, "", url);
}

/** Returns the current location and re-renders the caller when it changes. */
export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const l = () => setLoc(current());
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return loc;
}

/** Matches a pattern such as "/traces/:id" and returns its parameters, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/");
  const s = path.replace(/\/+$/, "").split("/");
  if (p.length !== s.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(":")) {
      try {
        out[p[i].slice(1)] = decodeURIComponent(s[i]);
      } catch {
        return null;
      }
    } else if (p[i] !== s[i]) return null;
  }
  return out;
}

/** Intercepts same-origin link clicks so that <a href> navigates without a reload. */
export function installLinkInterceptor(): void {
  document.addEventListener("click", (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.("a");
    if (!a || a.target || a.hasAttribute("download")) return;
    const url = new URL(a.href, window.location.href);
    if (url.origin !== window.location.origin || url.pathname.startsWith("/api/")) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  });
}
