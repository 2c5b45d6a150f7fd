import { useEffect, useRef, useState } from "preact/hooks";
import { api, type TraceSummary } from "../api";
import { EmptyState } from "../components/EmptyState";
import { ErrorBox, Loading } from "../components/Status";
import { TimeRangePicker } from "../components/TimeRangePicker";
import { fmtCost, fmtDuration, fmtTime, tokensText } from "../format";
import { useAsync, useKeys } from "../hooks";
import { navigate, type Location } from "../router";
import { readRange, resolveRange, writeRange, type TimeRange } from "../timerange";

const POLL_MS = 4000;
const TEXT_FILTERS = ["service", "name", "status", "model", "session", "user", "minDuration", "q"] as const;

/** Replaces some query parameters (empty removes) and resets paging. */
function setParams(loc: Location, changes: Record<string, string | string[] | undefined>, range?: TimeRange) {
  const q = new URLSearchParams(loc.query);
  for (const [k, v] of Object.entries(changes)) {
    q.delete(k);
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
    else if (v) q.set(k, v);
  }
  if (range) writeRange(q, range);
  if (!("cursor" in changes)) q.delete("cursor");
  const s = q.toString();
  navigate(loc.path + (s ? "?" + s : ""), !("cursor" in changes));
}

function TextFilter({ name, label, value, placeholder, list, inputRef }: {
  name: string; label: string; value: string; placeholder?: string; list?: string;
  inputRef?: preact.Ref<HTMLInputElement>;
}) {
  return (
    <label class={"filter f-" + name}>
      <span class="filter-label">{label}</span>
      <input ref={inputRef} name={name} type="search" value={value} placeholder={placeholder} list={list} autocomplete="off" />
    </label>
  );
}

export function TracesPage({ loc }: { loc: Location }) {
  const q = loc.query;
  const range = readRange(q);
  const attrs = q.getAll("attr");
  const cursor = q.get("cursor") ?? "";
  // Page size: ?limit= (1..1000) so a deep link can ask for more rows; 50 by default.
  const limit = Math.min(Math.max(Math.floor(Number(q.get("limit"))) || 50, 1), 1000);
  const filterKey = q.toString();
  const searchRef = useRef<HTMLInputElement>(null);
  const formRef = useRef<HTMLFormElement>(null);

  const services = useAsync((s) => api.services(s), []);
  const service = q.get("service") ?? "";
  const ops = useAsync((s) => (service ? api.operations(service, s) : Promise.resolve({ operations: [] })), [service]);
  const models = useAsync((s) => api.models({ start: resolveRange(range).start }, s), [range.preset]);

  const list = useAsync(
    (signal) => {
      const r = resolveRange(range);
      const p: Record<string, string | string[] | undefined> = { start: r.start, end: r.end, attr: attrs, cursor, limit: String(limit) };
      TEXT_FILTERS.forEach((k) => (p[k] = q.get(k) ?? undefined));
      return api.traces(p, signal);
    },
    [filterKey],
    cursor || range.preset === "custom" ? 0 : POLL_MS,
  );

  // Mark traces that arrived since the previous poll.
  const seen = useRef<Set<string> | null>(null);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  useEffect(() => {
    seen.current = null;
  }, [filterKey]);
  useEffect(() => {
    const ts = list.data?.traces ?? [];
    if (seen.current) setFresh(new Set(ts.filter((t) => !seen.current!.has(t.traceId)).map((t) => t.traceId)));
    seen.current = new Set(ts.map((t) => t.traceId));
  }, [list.data]);

  const traces: TraceSummary[] = list.data?.traces ?? [];
  const hasFilters = TEXT_FILTERS.some((k) => q.get(k)) || attrs.length > 0 || !!cursor;
  // An empty page without filters: is the store empty (show how to send data) or is the time
  // range just too narrow?
  const emptyRange = !!list.data && traces.length === 0 && !hasFilters;
  const anyTrace = useAsync((s) => (emptyRange ? api.traces({ limit: 1 }, s) : Promise.resolve(null)), [emptyRange, filterKey], emptyRange ? POLL_MS : 0);
  const storeEmpty = emptyRange && anyTrace.data !== undefined && (anyTrace.data?.traces ?? []).length === 0;
  const [sel, setSel] = useState(0);
  useEffect(() => setSel(0), [filterKey]);

  useKeys((e) => {
    if (e.key === "/") {
      e.preventDefault();
      searchRef.current?.focus();
    } else if ((e.key === "j" || e.key === "ArrowDown") && traces.length) {
      e.preventDefault();
      setSel((s) => Math.min(s + 1, traces.length - 1));
    } else if ((e.key === "k" || e.key === "ArrowUp") && traces.length) {
      e.preventDefault();
      setSel((s) => Math.max(s - 1, 0));
    } else if (e.key === "Enter" && traces[sel]) {
      navigate("/traces/" + traces[sel].traceId);
    }
  });
  useEffect(() => {
    document.querySelector(".trace-table tr.selected")?.scrollIntoView({ block: "nearest" });
  }, [sel]);

  const onSubmit = (e: Event) => {
    e.preventDefault();
    const f = new FormData(formRef.current!);
    const changes: Record<string, string | string[] | undefined> = {};
    for (const k of TEXT_FILTERS) changes[k] = String(f.get(k) ?? "").trim();
    const newAttr = String(f.get("attrNew") ?? "").trim();
    if (newAttr) {
      changes.attr = [...attrs, newAttr];
      (formRef.current!.elements.namedItem("attrNew") as HTMLInputElement).value = "";
    }
    setParams(loc, changes);
  };
  const attrInvalid = attrs.find((a) => !a.includes("="));

  return (
    <div class="page traces-page">
      <div class="page-head">
        <h1>Traces</h1>
        <TimeRangePicker value={range} onChange={(r) => setParams(loc, {}, r)} />
      </div>
      <form ref={formRef} class="filters" onSubmit={onSubmit} onChange={(e) => {
        // Selects apply at once; text fields apply on Enter.
        if ((e.target as HTMLElement).tagName === "SELECT") onSubmit(e);
      }} key={filterKey} data-testid="filters">
        <TextFilter name="q" label="Search text" value={q.get("q") ?? ""} placeholder="prompts, answers, logs" inputRef={searchRef} />
        <label class="filter">
          <span class="filter-label">Service</span>
          <select name="service" value={service}>
            <option value="">all</option>
            {(services.data?.services ?? []).map((s) => (
              <option key={s} value={s}>{s}</option>
            ))}
            {service && !(services.data?.services ?? []).includes(service) && <option value={service}>{service}</option>}
          </select>
        </label>
        <TextFilter name="name" label="Span name" value={q.get("name") ?? ""} list="op-names" />
        <datalist id="op-names">
          {(ops.data?.operations ?? []).map((o) => (
            <option key={o.name} value={o.name} />
          ))}
        </datalist>
        <label class="filter f-status">
          <span class="filter-label">Status</span>
          <select name="status" value={q.get("status") ?? ""}>
            <option value="">any</option>
            <option value="ok">ok</option>
            <option value="error">error</option>
          </select>
        </label>
        <TextFilter name="model" label="Model" value={q.get("model") ?? ""} list="model-names" />
        <datalist id="model-names">
          {(models.data?.models ?? []).map((m) => (
            <option key={m.model} value={m.model} />
          ))}
        </datalist>
        <TextFilter name="session" label="Session" value={q.get("session") ?? ""} />
        <TextFilter name="user" label="User" value={q.get("user") ?? ""} />
        <TextFilter name="minDuration" label="Min duration" value={q.get("minDuration") ?? ""} placeholder="250ms" />
        <TextFilter name="attrNew" label="Attribute" value="" placeholder="key=value" />
        <button type="submit" class="primary">Search</button>
        {hasFilters && (
          <button type="button" onClick={() => setParams(loc, { ...Object.fromEntries(TEXT_FILTERS.map((k) => [k, ""])), attr: [] })}>
            Clear
          </button>
        )}
      </form>
      {attrs.length > 0 && (
        <div class="chips">
          {attrs.map((a, i) => (
            <span class="chip" key={a + i}>
              {a}
              <button type="button" aria-label={"Remove " + a} onClick={() => setParams(loc, { attr: attrs.filter((_, k) => k !== i) })}>×</button>
            </span>
          ))}
          {attrInvalid && <span class="warn small">Attribute filters need the form key=value.</span>}
        </div>
      )}
      {list.error && <ErrorBox error={list.error} />}
      {list.loading && !list.data && <Loading />}
      {list.data && traces.length === 0 && hasFilters && (
        <p class="muted empty" data-testid="no-match">No traces match these filters in this time range.</p>
      )}
      {storeEmpty && <EmptyState what="traces" />}
      {emptyRange && anyTrace.data && !storeEmpty && (
        <p class="muted empty" data-testid="no-match">
          No traces in this time range. Older traces exist: pick a wider range, such as{" "}
          <a href="/traces?range=7d">the last 7 days</a>.
        </p>
      )}
      {traces.length > 0 && (
        <table class="table trace-table" data-testid="trace-table">
          <thead>
            <tr>
              <th>Time</th>
              <th>Root span</th>
              <th>Service</th>
              <th class="num">Duration</th>
              <th class="num">Spans</th>
              <th class="num">Errors</th>
              <th class="num">Tokens in → out</th>
              <th class="num">Cost</th>
            </tr>
          </thead>
          <tbody>
            {traces.map((t, i) => (
              <tr
                key={t.traceId}
                class={(i === sel ? "selected " : "") + (t.errorCount ? "has-error " : "") + (fresh.has(t.traceId) ? "fresh" : "")}
                onClick={(e) => {
                  if ((e.target as HTMLElement).closest("a")) return;
                  navigate("/traces/" + t.traceId);
                }}
                data-trace-id={t.traceId}
              >
                <td class="nowrap" title={t.startTime}>{fmtTime(t.startTime)}</td>
                <td>
                  <a href={"/traces/" + t.traceId} class="root-name">{t.rootName || "(missing root span)"}</a>
                  {(t.models ?? []).map((m) => (
                    <span key={m} class="badge model">{m}</span>
                  ))}
                  {t.sessionId && (
                    <a class="badge session" href={"/sessions/" + encodeURIComponent(t.sessionId)} title="Open session">
                      {t.sessionId}
                    </a>
                  )}
                </td>
                <td>{t.rootService}</td>
                <td class="num">{fmtDuration(t.durationMs)}</td>
                <td class="num">{t.spanCount.toLocaleString("en-US")}</td>
                <td class={"num" + (t.errorCount ? " err-text" : "")}>{t.errorCount || ""}</td>
                <td class="num nowrap">{tokensText(t.inputTokens, t.outputTokens)}</td>
                <td class="num">{fmtCost(t.costUsd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="pager">
        {cursor && (
          <button type="button" onClick={() => setParams(loc, { cursor: undefined })}>
            ← Newest
          </button>
        )}
        {list.data?.nextCursor && (
          <button type="button" data-testid="next-page" onClick={() => setParams(loc, { cursor: list.data!.nextCursor })}>
            Older →
          </button>
        )}
        {!cursor && range.preset !== "custom" && <span class="muted small live-dot">live: refreshes every {POLL_MS / 1000}s</span>}
      </div>
    </div>
  );
}
