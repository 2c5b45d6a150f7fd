import { useEffect, useMemo, useState } from "preact/hooks";
import { api, type CompactTrace } from "../api";
import { CopyId } from "../components/CopyButton";
import { LogList, SpanDetail } from "../components/SpanDetail";
import { buildTree, flatten, SpanTree } from "../components/SpanTree";
import { ErrorBox, Loading } from "../components/Status";
import { fmtCost, fmtDuration, fmtTime, tokensText } from "../format";
import { useAsync, useKeys } from "../hooks";
import { navigate, replaceQuietly, type Location } from "../router";
import { expandLog, expandSpan } from "../trace";

export function TracePage({ id, loc }: { id: string; loc: Location }) {
  const res = useAsync((s) => api.trace(id, s), [id]);
  if (res.error) return <div class="page"><p><a href="/traces">← Traces</a></p><ErrorBox error={res.error} /></div>;
  if (!res.data) return <div class="page"><Loading /></div>;
  return <TraceView data={res.data} loc={loc} />;
}

function TraceView({ data, loc }: { data: CompactTrace; loc: Location }) {
  const tree = useMemo(() => buildTree(data), [data]);
  const [collapsed, setCollapsed] = useState<Set<number>>(() => new Set());
  const rows = useMemo(() => flatten(tree, collapsed), [tree, collapsed]);
  const wanted = loc.query.get("span");
  const [selected, setSelected] = useState<number>(() => {
    const fromUrl = wanted ? tree.spans.findIndex((s) => s.spanId === wanted) : -1;
    if (fromUrl >= 0) return fromUrl;
    // Open on the first model call so the conversation is one glance away.
    const gen = tree.spans.findIndex((s) => s.generation && s.generation.operation !== "execute_tool");
    return gen >= 0 ? gen : tree.roots[0] ?? 0;
  });

  // Keep ?span= in the URL (replace, not push) so a reload shows the same span. The page shows
  // the selection already: re-rendering the whole app for the URL would only cost time.
  useEffect(() => {
    const s = tree.spans[selected];
    if (!s) return;
    const q = new URLSearchParams(window.location.search);
    q.set("span", s.spanId);
    replaceQuietly(loc.path + "?" + q.toString());
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selected]);

  // A collapsed ancestor must not hide the selection: expand the path to it.
  useEffect(() => {
    let p = tree.parent[selected];
    let changed = false;
    const next = new Set(collapsed);
    while (p !== undefined && p >= 0) {
      if (next.delete(p)) changed = true;
      p = tree.parent[p];
    }
    if (changed) setCollapsed(next);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selected]);

  const toggle = (i: number) => {
    const next = new Set(collapsed);
    if (next.has(i)) next.delete(i);
    else next.add(i);
    setCollapsed(next);
  };

  useKeys((e) => {
    const pos = rows.indexOf(selected);
    if (e.key === "j" || e.key === "ArrowDown") {
      e.preventDefault();
      setSelected(rows[Math.min(pos + 1, rows.length - 1)]);
    } else if (e.key === "k" || e.key === "ArrowUp") {
      e.preventDefault();
      setSelected(rows[Math.max(pos - 1, 0)]);
    } else if (e.key === "ArrowLeft" || e.key === "h") {
      e.preventDefault();
      if (tree.children[selected].length && !collapsed.has(selected)) toggle(selected);
      else if (tree.parent[selected] >= 0) setSelected(tree.parent[selected]);
    } else if (e.key === "ArrowRight" || e.key === "l" || e.key === "Enter") {
      e.preventDefault();
      if (collapsed.has(selected)) toggle(selected);
    } else if (e.key === "Escape" || e.key === "u") {
      navigate("/traces");
    }
  });

  const sum = data.summary;
  // Only the span shown is expanded to the full form; the tree works on the compact one.
  const span = useMemo(() => (tree.spans[selected] ? expandSpan(data, tree.spans[selected]) : undefined), [data, tree, selected]);
  const errors = useMemo(() => tree.spans.filter((s) => s.status?.code === "error").length, [tree]);
  const orphanLogs = useMemo(() => (data.orphanLogs ?? []).map((l) => expandLog(data, l)), [data]);
  return (
    <div class="page trace-page">
      <div class="trace-head">
        <div>
          <a href="/traces" class="small">← Traces</a>
          <h1 data-testid="trace-title">{sum.rootName || "(missing root span)"}</h1>
          <div class="detail-meta small">
            <CopyId value={sum.traceId} label="trace" />
            {sum.sessionId && (
              <span>
                <span class="muted">session </span>
                <a href={"/sessions/" + encodeURIComponent(sum.sessionId)} data-testid="session-link">{sum.sessionId}</a>
              </span>
            )}
            {sum.userId && <span><span class="muted">user </span>{sum.userId}</span>}
          </div>
        </div>
        <div class="stats">
          <div class="stat"><span class="muted">started</span><span>{fmtTime(sum.startTime)}</span></div>
          <div class="stat"><span class="muted">duration</span><span>{fmtDuration(sum.durationMs)}</span></div>
          <div class="stat"><span class="muted">spans</span><span>{sum.spanCount.toLocaleString()}</span></div>
          <div class={"stat" + (errors ? " err-text" : "")}><span class="muted">errors</span><span>{errors}</span></div>
          <div class="stat"><span class="muted">tokens in → out</span><span>{tokensText(sum.inputTokens, sum.outputTokens)}</span></div>
          <div class="stat"><span class="muted">cost</span><span>{fmtCost(sum.costUsd)}</span></div>
        </div>
      </div>
      <div class="tree-actions small">
        <button type="button" onClick={() => setCollapsed(new Set())} data-testid="expand-all">Expand all</button>
        <button type="button" onClick={() => setCollapsed(new Set(tree.spans.map((_, i) => i).filter((i) => tree.children[i].length > 0 && tree.parent[i] >= 0)))} data-testid="collapse-all">
          Collapse all
        </button>
        <span class="muted">j/k or ↑/↓ move · ←/→ collapse/expand</span>
      </div>
      <div class="trace-body">
        <SpanTree tree={tree} rows={rows} selected={selected} collapsed={collapsed} onSelect={setSelected} onToggle={toggle} />
        <aside class="detail-panel">
          {span ? <SpanDetail key={span.spanId} span={span} /> : <p class="muted">This trace has no spans.</p>}
          {orphanLogs.length > 0 && (
            <details class="section" open>
              <summary>Trace logs without a span ({orphanLogs.length})</summary>
              <LogList logs={orphanLogs} />
            </details>
          )}
        </aside>
      </div>
    </div>
  );
}
