import { api } from "../api";
import { trimBlock } from "../components/ChatView";
import { CopyId } from "../components/CopyButton";
import { ErrorBox, Loading, Outcome } from "../components/Status";
import { fmtCost, fmtDuration, fmtTime, tokensText } from "../format";
import { useAsync } from "../hooks";

/** A session as a conversation: per trace, the first user message and the last answer. */
export function SessionPage({ id }: { id: string }) {
  const res = useAsync((s) => api.session(id, s), [id], 5000);
  if (res.error) return <div class="page"><p><a href="/sessions">← Sessions</a></p><ErrorBox error={res.error} /></div>;
  if (!res.data) return <div class="page"><Loading /></div>;
  const { session: s, traces } = res.data;
  const list = traces ?? [];
  return (
    <div class="page session-page">
      <a href="/sessions" class="small">← Sessions</a>
      <h1 data-testid="session-title">Session <CopyId value={s.id} /></h1>
      <div class="stats">
        <div class="stat"><span class="muted">service</span><span>{s.service}</span></div>
        {s.userId && <div class="stat"><span class="muted">user</span><span>{s.userId}</span></div>}
        <div class="stat"><span class="muted">traces</span><span data-testid="session-trace-count">{s.traceCount}</span></div>
        <div class={"stat" + (s.errorCount ? " err-text" : "")}><span class="muted">errors</span><span>{s.errorCount}</span></div>
        <div class="stat"><span class="muted">model calls</span><span>{s.generationCount}</span></div>
        <div class="stat"><span class="muted">duration</span><span>{fmtDuration(s.durationMs)}</span></div>
        <div class="stat"><span class="muted">tokens in → out</span><span>{tokensText(s.inputTokens, s.outputTokens)}</span></div>
        <div class="stat"><span class="muted">cost</span><span>{fmtCost(s.costUsd)}</span></div>
        <div class="stat"><span class="muted">outcome</span><Outcome success={s.success} /></div>
      </div>
      <div class="conversation" data-testid="conversation">
        {list.map((t, i) => (
          <div class="turn" key={t.traceId} data-testid="turn">
            <div class="turn-head small">
              <span class="muted">#{i + 1}</span>
              <a href={"/traces/" + t.traceId}>{t.rootName || "(missing root span)"}</a>
              <span class="muted">{fmtTime(t.startTime)}</span>
              <span>{fmtDuration(t.durationMs)}</span>
              <span>{tokensText(t.inputTokens, t.outputTokens)}</span>
              <span>{fmtCost(t.costUsd)}</span>
              {t.errorCount > 0 && <span class="err-text">{t.errorCount} error{t.errorCount > 1 ? "s" : ""}</span>}
            </div>
            {t.firstUserMessage ? (
              <div class="msg role-user" data-testid="turn-user"><div class="msg-head"><span class="role">user</span></div><div class="pre-wrap">{trimBlock(t.firstUserMessage)}</div></div>
            ) : (
              <p class="muted small">no user message recorded</p>
            )}
            {t.lastAnswer ? (
              <div class="msg role-assistant" data-testid="turn-answer"><div class="msg-head"><span class="role">assistant</span></div><div class="pre-wrap">{trimBlock(t.lastAnswer)}</div></div>
            ) : (
              <p class="muted small">{t.errorCount ? "no answer (the trace failed)" : "no answer recorded"}</p>
            )}
          </div>
        ))}
        {list.length === 0 && <p class="muted">This session has no traces in the store.</p>}
      </div>
    </div>
  );
}
