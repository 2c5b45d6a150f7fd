import type { Log, Span } from "../api";
import { fmtDuration, fmtJSON, fmtTime, fmtValue } from "../format";
import { ChatView } from "./ChatView";
import { CopyId } from "./CopyButton";
import { KeyValues } from "./KeyValues";

function Section({ title, children, open = true, count }: { title: string; children: preact.ComponentChildren; open?: boolean; count?: number }) {
  return (
    <details class="section" open={open}>
      <summary>
        {title}
        {count !== undefined && <span class="muted small"> ({count})</span>}
      </summary>
      <div class="section-body">{children}</div>
    </details>
  );
}

/** Log records attached to a span (or orphaned in the trace): time, severity, body as text. */
export function LogList({ logs }: { logs: Log[] }) {
  return (
    <div class="logs">
      {logs.map((l, i) => (
        <div class="log" key={i}>
          <div class="log-head small">
            <span class="muted">{fmtTime(l.time)}</span>
            <span class={"sev sev-" + ((l.severityNumber ?? 0) >= 17 ? "error" : "info")}>{l.severityText || (l.severityNumber ? `sev ${l.severityNumber}` : "log")}</span>
            {l.eventName && <code>{l.eventName}</code>}
          </div>
          {l.body !== undefined && l.body !== null && <pre class="code">{typeof l.body === "string" ? l.body : fmtJSON(l.body)}</pre>}
          {l.attributes && Object.keys(l.attributes).length > 0 && <KeyValues data={l.attributes} />}
        </div>
      ))}
    </div>
  );
}

/** Everything about one span. */
export function SpanDetail({ span }: { span: Span }) {
  const events = span.events ?? [];
  const exceptions = events.filter((e) => e.name === "exception");
  const others = events.filter((e) => e.name !== "exception");
  const logs = span.logs ?? [];
  const isErr = span.status?.code === "error";
  return (
    <div class="span-detail" data-testid="span-detail" data-span-id={span.spanId}>
      <h2 class="detail-title">
        {isErr && <span class="err-dot">!</span>}
        <span data-testid="detail-name">{span.name}</span>
      </h2>
      <div class="detail-meta small">
        <span>{span.service}</span>
        <span class="muted">{span.kind}</span>
        <span>{fmtDuration(span.durationMs)}</span>
        <span class="muted">{fmtTime(span.startTime)}</span>
        <span class={"status status-" + span.status?.code}>{span.status?.code}</span>
      </div>
      {isErr && span.status?.message && <div class="error-box pre-wrap">{span.status.message}</div>}
      <div class="ids small">
        <CopyId value={span.spanId} label="span" />
        {span.parentSpanId && <CopyId value={span.parentSpanId} label="parent" />}
        {span.sessionId && (
          <span>
            <span class="muted">session </span>
            <a href={"/sessions/" + encodeURIComponent(span.sessionId)}>{span.sessionId}</a>
          </span>
        )}
        {span.userId && (
          <span>
            <span class="muted">user </span>
            {span.userId}
          </span>
        )}
      </div>
      {span.generation && (
        <Section title="Chat">
          <ChatView gen={span.generation} durationMs={span.durationMs} />
        </Section>
      )}
      {exceptions.length > 0 && (
        <Section title="Exceptions" count={exceptions.length}>
          {exceptions.map((e, i) => {
            const a = e.attributes ?? {};
            return (
              <div class="exception" key={i} data-testid="exception">
                <div>
                  <strong>{fmtValue(a["exception.type"])}</strong>: <span class="pre-wrap">{fmtValue(a["exception.message"])}</span>
                </div>
                {a["exception.stacktrace"] !== undefined && <pre class="code stack">{fmtValue(a["exception.stacktrace"])}</pre>}
              </div>
            );
          })}
        </Section>
      )}
      <Section title="Attributes" count={Object.keys(span.attributes ?? {}).length}>
        <KeyValues data={span.attributes} />
      </Section>
      {span.truncated && Object.keys(span.truncated).length > 0 && (
        <Section title="Truncated values">
          <p class="small muted">These values were cut; original sizes in bytes:</p>
          <KeyValues data={span.truncated} />
        </Section>
      )}
      {others.length > 0 && (
        <Section title="Events" count={others.length}>
          {others.map((e, i) => (
            <div class="event" key={i}>
              <div class="small">
                <strong>{e.name}</strong> <span class="muted">{fmtTime(e.time)}</span>
              </div>
              {e.attributes && Object.keys(e.attributes).length > 0 && <KeyValues data={e.attributes} />}
            </div>
          ))}
        </Section>
      )}
      {logs.length > 0 && (
        <Section title="Logs" count={logs.length}>
          <LogList logs={logs} />
        </Section>
      )}
      <Section title="Resource" open={false}>
        <KeyValues data={span.resource} />
        {span.scope?.name && (
          <p class="small muted">
            scope {span.scope.name} {span.scope.version ?? ""}
          </p>
        )}
      </Section>
      {(span.links ?? []).length > 0 && (
        <Section title="Links" count={span.links!.length}>
          {span.links!.map((l, i) => (
            <div key={i} class="small">
              <a href={"/traces/" + encodeURIComponent(l.traceId)}>{l.traceId}</a> <span class="muted">span {l.spanId}</span>
            </div>
          ))}
        </Section>
      )}
    </div>
  );
}
