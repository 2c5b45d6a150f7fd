import { useEffect, useRef, useState } from "preact/hooks";

export interface Async<T> {
  data?: T;
  error?: Error;
  loading: boolean;
  reload: () => void;
}

/**
 * Runs fn whenever deps change (aborting the previous request) and, with pollMs, again every
 * pollMs while the tab is visible. Data stays on screen while a refresh is in flight.
 */
export function useAsync<T>(fn: (signal: AbortSignal) => Promise<T>, deps: unknown[], pollMs = 0): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    let ctrl = new AbortController();
    let alive = true;
    const run = (initial: boolean) => {
      ctrl.abort();
      ctrl = new AbortController();
      const c = ctrl;
      if (initial) setState((s) => ({ ...s, loading: true }));
      fnRef.current(c.signal).then(
        (data) => alive && !c.signal.aborted && setState({ data, loading: false }),
        (error: Error) => {
          if (!alive || c.signal.aborted || error.name === "AbortError") return;
          setState((s) => ({ data: initial ? undefined : s.data, error, loading: false }));
        },
      );
    };
    run(true);
    let timer: ReturnType<typeof setInterval> | undefined;
    if (pollMs > 0) {
      timer = setInterval(() => {
        if (document.visibilityState === "visible") run(false);
      }, pollMs);
    }
    return () => {
      alive = false;
      ctrl.abort();
      if (timer) clearInterval(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick, pollMs]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

/**
 * Calls handler for keydown events outside text inputs (j/k, Enter, ...). The listener is
 * registered once and always calls the handler of the latest render: re-registering it in an
 * effect (which runs after paint) let quick presses on a busy machine reach a stale handler,
 * with the selection of a render ago.
 */
export function useKeys(handler: (e: KeyboardEvent) => void): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    const h = (e: KeyboardEvent) => {
      if (e.metaKey || e.ctrlKey || e.altKey) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return;
      latest.current(e);
    };
    window.addEventListener("keydown", h);
    return () => window.removeEventListener("keydown", h);
  }, []);
}
