import { useMemo } from "preact/hooks";
import { api, type MetricPoint, type MetricsGenAI, type TraceSummary } from "../api";
import { Chart, color, type SeriesSpec } from "../components/Chart";
import { EmptyState } from "../components/EmptyState";
import { ErrorBox, Loading } from "../components/Status";
import { TimeRangePicker } from "../components/TimeRangePicker";
import { fmtCost, fmtDuration, fmtInt, fmtPercent, fmtTime, tokensText } from "../format";
import { useAsync } from "../hooks";
import { navigate, type Location } from "../router";
import { readRange, resolveRange, writeRange } from "../timerange";

const GROUPS = ["model", "service", "operation"] as const;
const REFRESH = [0, 10, 30, 60];

interface ChartSet {
  xs: number[];
  calls: SeriesSpec[];
  errorRate: SeriesSpec[];
  latency: SeriesSpec[];
  tokens: SeriesSpec[];
  cost: SeriesSpec[];
  totals: { calls: number; errors: number; input: number; output: number; cost: number | null; p95: number | null };
}

/** Turns the API's groups into aligned uPlot series (one colour per group). */
function toCharts(m: MetricsGenAI, groupBy: string): ChartSet {
  const groups = m.groups ?? [];
  const xs = (groups[0]?.points ?? []).map((p) => Number(BigInt(p.timeUnixNano) / 1_000_000n) / 1000);
  const at = (g: number, f: (p: MetricPoint) => number | null) => (groups[g]?.points ?? []).map(f);
  const totals = { calls: 0, errors: 0, input: 0, output: 0, cost: null as number | null, p95: null as number | null };
  let p95w = 0;
  let p95n = 0;
  for (const g of groups)
    for (const p of g.points) {
      totals.calls += p.calls;
      totals.errors += p.errors;
      totals.input += p.inputTokens;
      totals.output += p.outputTokens;
      if (p.costUsd != null) totals.cost = (totals.cost ?? 0) + p.costUsd;
      if (p.p95Ms != null && p.calls) {
        p95w += p.p95Ms * p.calls;
        p95n += p.calls;
      }
    }
  if (p95n) totals.p95 = p95w / p95n;
  const label = (k: string) => k || "(no " + (groupBy === "operation" ? "operation" : groupBy) + ")";
  return {
    xs,
    totals,
    calls: groups.map((g, i) => ({ label: label(g.key), color: color(i), values: at(i, (p) => p.calls) })),
    errorRate: groups.map((g, i) => ({ label: label(g.key), color: color(i), values: at(i, (p) => (p.calls ? p.errorRate : null)) })),
    latency: groups.flatMap((g, i) => [
      { label: label(g.key) + " p50", color: color(i), values: at(i, (p) => p.p50Ms) },
      { label: label(g.key) + " p95", color: color(i), dash: [6, 3], values: at(i, (p) => p.p95Ms) },
      { label: label(g.key) + " p99", color: color(i), dash: [2, 3], values: at(i, (p) => p.p99Ms) },
    ]),
    tokens: groups.flatMap((g, i) => [
      { label: label(g.key) + " input", color: color(i), values: at(i, (p) => p.inputTokens) },
      { label: label(g.key) + " output", color: color(i), dash: [6, 3], values: at(i, (p) => p.outputTokens) },
    ]),
    cost: groups.map((g, i) => ({ label: label(g.key), color: color(i), values: at(i, (p) => p.costUsd) })),
  };
}

function TraceLinks({ title, traces, testId, empty }: { title: string; traces: TraceSummary[]; testId: string; empty: string }) {
  return (
    <div class="card" data-testid={testId}>
      <h3>{title}</h3>
      {traces.length === 0 ? (
        <p class="muted small">{empty}</p>
      ) : (
        <table class="table compact">
          <tbody>
            {traces.map((t) => (
              <tr key={t.traceId}>
                <td><a href={"/traces/" + t.traceId}>{t.rootName || "(missing root span)"}</a></td>
                <td class="muted nowrap">{fmtTime(t.startTime)}</td>
                <td class="num">{fmtDuration(t.durationMs)}</td>
                <td class={"num" + (t.errorCount ? " err-text" : "")}>{t.errorCount ? `${t.errorCount} err` : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function DashboardPage({ loc }: { loc: Location }) {
  const q = loc.query;
  const range = readRange(q);
  const groupBy = (GROUPS as readonly string[]).includes(q.get("groupBy") ?? "") ? q.get("groupBy")! : "model";
  const refresh = Number(q.get("refresh") ?? "30");
  const key = q.toString();
  const pollMs = range.preset === "custom" ? 0 : refresh * 1000;
  const set = (mut: (p: URLSearchParams) => void) => {
    const p = new URLSearchParams(q);
    mut(p);
    navigate("/dashboard?" + p.toString(), true);
  };

  const metrics = useAsync((s) => {
    const r = resolveRange(range);
    return api.metricsGenAI({ start: r.start, end: r.end, groupBy }, s);
  }, [key], pollMs);
  const charts = useMemo(() => (metrics.data ? toCharts(metrics.data, groupBy) : null), [metrics.data]);
  const slowThreshold = charts?.totals.p95 ? Math.floor(charts.totals.p95) : 0;

  const failing = useAsync((s) => {
    const r = resolveRange(range);
    return api.traces({ start: r.start, end: r.end, status: "error", limit: 10 }, s);
  }, [key], pollMs);
  const slow = useAsync((s) => {
    const r = resolveRange(range);
    return api.traces({ start: r.start, end: r.end, minDuration: String(slowThreshold), limit: 200 }, s);
  }, [key, slowThreshold], pollMs);
  const slowest = useMemo(() => [...(slow.data?.traces ?? [])].sort((a, b) => b.durationMs - a.durationMs).slice(0, 10), [slow.data]);

  const tracesLink = (extra: Record<string, string>) => {
    const p = new URLSearchParams(extra);
    writeRange(p, range);
    return "/traces?" + p.toString();
  };
  const models = useAsync((s) => {
    const r = resolveRange(range);
    return api.models({ start: r.start, end: r.end }, s);
  }, [key], pollMs);

  const t = charts?.totals;
  const noData = charts && t && t.calls === 0 && (slow.data?.traces ?? []).length === 0;
  const fmtTok = (v: number) => fmtInt(Math.round(v));
  return (
    <div class="page dashboard-page">
      <div class="page-head">
        <h1>Dashboard</h1>
        <TimeRangePicker value={range} onChange={(r) => set((p) => writeRange(p, r))} />
        <label class="inline small">
          split by
          <select value={groupBy} onChange={(e) => set((p) => p.set("groupBy", (e.target as HTMLSelectElement).value))} data-testid="group-by">
            {GROUPS.map((g) => <option key={g} value={g}>{g}</option>)}
          </select>
        </label>
        <label class="inline small">
          auto-refresh
          <select value={String(refresh)} onChange={(e) => set((p) => p.set("refresh", (e.target as HTMLSelectElement).value))}>
            {REFRESH.map((r) => <option key={r} value={String(r)}>{r ? `${r}s` : "off"}</option>)}
          </select>
        </label>
      </div>
      {metrics.error && <ErrorBox error={metrics.error} />}
      {!metrics.data && metrics.loading && <Loading />}
      {noData && <EmptyState what="model calls" />}
      {charts && t && !noData && (
        <>
          <div class="stats cards" data-testid="totals">
            <div class="stat card"><span class="muted" title="GenAI operations: model calls and tool executions">GenAI calls</span><span class="big">{fmtInt(t.calls)}</span></div>
            <div class="stat card"><span class="muted">error rate</span><span class={"big" + (t.errors ? " err-text" : "")}>{fmtPercent(t.calls ? t.errors / t.calls : null)}</span></div>
            <div class="stat card"><span class="muted">p95 latency (avg)</span><span class="big">{fmtDuration(t.p95)}</span></div>
            <div class="stat card"><span class="muted">input tokens</span><span class="big">{fmtInt(t.input)}</span></div>
            <div class="stat card"><span class="muted">output tokens</span><span class="big">{fmtInt(t.output)}</span></div>
            <div class="stat card"><span class="muted">cost</span><span class="big">{fmtCost(t.cost)}</span></div>
          </div>
          <div class="charts">
            <Chart title="Calls (model calls and tool executions)" xs={charts.xs} series={charts.calls} testId="chart-calls" fmt={fmtTok} integer />
            <Chart title="Error rate" xs={charts.xs} series={charts.errorRate} testId="chart-errors" fmt={(v) => fmtPercent(v)} />
            <Chart title="Latency p50 / p95 (dashed) / p99 (dotted)" xs={charts.xs} series={charts.latency} testId="chart-latency" fmt={(v) => fmtDuration(v)} />
            <Chart title="Tokens: input / output (dashed)" xs={charts.xs} series={charts.tokens} testId="chart-tokens" fmt={fmtTok} integer />
            <Chart title="Cost (USD)" xs={charts.xs} series={charts.cost} testId="chart-cost" fmt={(v) => fmtCost(v)} />
            <div class="chart-card" data-testid="models">
              <h3>Models</h3>
              {(models.data?.models ?? []).length === 0 ? (
                <p class="muted small">No model calls in this range.</p>
              ) : (
                <table class="table compact">
                  <thead>
                    <tr>
                      <th>Model</th>
                      <th class="num">Calls</th>
                      <th class="num">Errors</th>
                      <th class="num">Tokens in → out</th>
                      <th class="num">Cost</th>
                    </tr>
                  </thead>
                  <tbody>
                    {(models.data?.models ?? []).map((m) => (
                      <tr key={m.model}>
                        <td>
                          <a href={tracesLink({ model: m.model })}>{m.model || "(no model)"}</a>{" "}
                          <span class="muted small">{m.provider}</span>
                        </td>
                        <td class="num">{fmtInt(m.calls)}</td>
                        <td class={"num" + (m.errors ? " err-text" : "")}>{m.errors ? fmtInt(m.errors) : ""}</td>
                        <td class="num nowrap">{tokensText(m.inputTokens, m.outputTokens)}</td>
                        <td class="num">{fmtCost(m.costUsd)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
          </div>
        </>
      )}
      <div class="two-col">
        <TraceLinks title={`Slowest traces${slowThreshold ? ` (≥ ${fmtDuration(slowThreshold)})` : ""}`} traces={slowest} testId="slowest" empty="No traces in this range." />
        <TraceLinks title="Failing traces" traces={failing.data?.traces ?? []} testId="failing" empty="No failing traces in this range." />
      </div>
    </div>
  );
}
