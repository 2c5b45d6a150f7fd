import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { EmptyState } from "../components/EmptyState";
import { ErrorBox, Loading, Outcome } from "../components/Status";
import { TimeRangePicker } from "../components/TimeRangePicker";
import { fmtCost, fmtDuration, fmtTime, tokensText } from "../format";
import { useAsync, useKeys } from "../hooks";
import { navigate, type Location } from "../router";
import { readRange, resolveRange, writeRange } from "../timerange";

export function SessionsPage({ loc }: { loc: Location }) {
  const q = loc.query;
  const range = readRange(q, "24h");
  const cursor = q.get("cursor") ?? "";
  const key = q.toString();
  const res = useAsync(
    (s) => {
      const r = resolveRange(range);
      return api.sessions({ start: r.start, end: r.end, service: q.get("service"), user: q.get("user"), cursor, limit: 50 }, s);
    },
    [key],
    cursor ? 0 : 5000,
  );
  const sessions = res.data?.sessions ?? [];
  const [sel, setSel] = useState(0);
  useEffect(() => setSel(0), [key]);
  useKeys((e) => {
    if ((e.key === "j" || e.key === "ArrowDown") && sessions.length) {
      e.preventDefault();
      setSel((s) => Math.min(s + 1, sessions.length - 1));
    } else if ((e.key === "k" || e.key === "ArrowUp") && sessions.length) {
      e.preventDefault();
      setSel((s) => Math.max(s - 1, 0));
    } else if (e.key === "Enter" && sessions[sel]) navigate("/sessions/" + encodeURIComponent(sessions[sel].id));
  });
  const go = (mut: (p: URLSearchParams) => void, replace = true) => {
    const p = new URLSearchParams(q);
    mut(p);
    navigate("/sessions?" + p.toString(), replace);
  };
  return (
    <div class="page">
      <div class="page-head">
        <h1>Sessions</h1>
        <TimeRangePicker value={range} onChange={(r) => go((p) => { p.delete("cursor"); writeRange(p, r); })} />
      </div>
      {res.error && <ErrorBox error={res.error} />}
      {res.loading && !res.data && <Loading />}
      {res.data && sessions.length === 0 && (cursor ? <p class="muted">No more sessions.</p> : <EmptyState what="sessions" />)}
      {sessions.length > 0 && (
        <table class="table" data-testid="session-table">
          <thead>
            <tr>
              <th>Session</th>
              <th>Service</th>
              <th>User</th>
              <th>First</th>
              <th>Last</th>
              <th class="num">Traces</th>
              <th class="num">Errors</th>
              <th class="num">Duration</th>
              <th class="num">Tokens in → out</th>
              <th class="num">Cost</th>
              <th>Outcome</th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s, i) => (
              <tr key={s.id} class={i === sel ? "selected" : ""} onClick={(e) => !(e.target as HTMLElement).closest("a") && navigate("/sessions/" + encodeURIComponent(s.id))}>
                <td><a href={"/sessions/" + encodeURIComponent(s.id)}>{s.id}</a></td>
                <td>{s.service}</td>
                <td>{s.userId}</td>
                <td class="nowrap">{fmtTime(s.firstTime)}</td>
                <td class="nowrap">{fmtTime(s.lastTime)}</td>
                <td class="num">{s.traceCount}</td>
                <td class={"num" + (s.errorCount ? " err-text" : "")}>{s.errorCount || ""}</td>
                <td class="num">{fmtDuration(s.durationMs)}</td>
                <td class="num nowrap">{tokensText(s.inputTokens, s.outputTokens)}</td>
                <td class="num">{fmtCost(s.costUsd)}</td>
                <td><Outcome success={s.success} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="pager">
        {cursor && <button type="button" onClick={() => go((p) => p.delete("cursor"), false)}>← Newest</button>}
        {res.data?.nextCursor && <button type="button" onClick={() => go((p) => p.set("cursor", res.data!.nextCursor!), false)}>Older →</button>}
      </div>
    </div>
  );
}
