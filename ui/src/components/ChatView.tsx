import type { Generation, Message, Part } from "../api";
import { fmtCost, fmtDuration, fmtInt, fmtJSON } from "../format";

/** Removes leading/trailing blank lines and the indentation common to every line. */
export function trimBlock(s: string): string {
  const lines = s.replace(/^\s*\n/, "").replace(/\s+$/, "").split("\n");
  let indent = Infinity;
  for (const l of lines) if (l.trim()) indent = Math.min(indent, l.length - l.trimStart().length);
  return indent > 0 && indent < Infinity ? lines.map((l) => l.slice(indent)).join("\n") : lines.join("\n");
}

/** One message part: text as text, tool calls with their arguments, anything else as JSON. */
function PartView({ part }: { part: Part }) {
  switch (part.type) {
    case "text":
      // Outer blank lines and indentation (prompts written as indented multi-line strings) are
      // trimmed for reading; the content is otherwise shown exactly, as text.
      return <div class="part-text pre-wrap">{trimBlock(part.content ?? "")}</div>;
    case "reasoning":
      return (
        <details class="part-reasoning">
          <summary>reasoning</summary>
          <div class="pre-wrap">{part.content ?? ""}</div>
        </details>
      );
    case "tool_call":
      return (
        <div class="part-tool-call" data-testid="tool-call">
          <div>
            <span class="badge tool">tool call</span> <strong>{part.name ?? ""}</strong>
            {part.id && <span class="muted small"> {part.id}</span>}
          </div>
          {part.arguments !== undefined && <pre class="code">{fmtJSON(part.arguments)}</pre>}
        </div>
      );
    case "tool_call_response":
      return (
        <div class="part-tool-call">
          <div>
            <span class="badge tool">tool result</span>
            {part.id && <span class="muted small"> {part.id}</span>}
          </div>
          <pre class="code">{fmtJSON(part.response)}</pre>
        </div>
      );
    case "uri":
      return (
        <div class="part-other">
          <span class="badge">{part.modality || "uri"}</span> <code>{part.uri ?? ""}</code>
        </div>
      );
    default: {
      const { type, ...rest } = part;
      return (
        <div class="part-other">
          <span class="badge">{type}</span>
          <pre class="code">{fmtJSON(rest)}</pre>
        </div>
      );
    }
  }
}

function MessageView({ msg, kind }: { msg: Message; kind?: string }) {
  const role = msg.role || "unknown";
  return (
    <div class={`msg role-${role.replace(/[^a-z_]/gi, "")}`} data-role={role} data-testid={`msg-${kind ?? role}`}>
      <div class="msg-head">
        <span class="role">{role}</span>
        {msg.name && <span class="muted small"> {msg.name}</span>}
        {msg.finishReason && <span class="badge finish">finish: {msg.finishReason}</span>}
      </div>
      {(msg.parts ?? []).map((p, i) => (
        <PartView key={i} part={p} />
      ))}
    </div>
  );
}

/** The model call as a conversation, with model, tokens, cost and latency above it. */
export function ChatView({ gen, durationMs }: { gen: Generation; durationMs: number }) {
  const u = gen.usage ?? {};
  const model = gen.responseModel || gen.requestModel || "unknown model";
  const params = gen.params ? Object.entries(gen.params) : [];
  return (
    <section class="chat" data-testid="chat">
      <div class="chat-meta">
        <span class="badge op">{gen.operation}</span>
        <span data-testid="chat-model" class="strong">
          {model}
        </span>
        {gen.requestModel && gen.responseModel && gen.requestModel !== gen.responseModel && (
          <span class="muted small">(requested {gen.requestModel})</span>
        )}
        {gen.provider && <span class="muted">{gen.provider}</span>}
      </div>
      <div class="stats">
        <div class="stat">
          <span class="muted">input tokens</span>
          <span data-testid="chat-input-tokens">{fmtInt(u.inputTokens)}</span>
        </div>
        <div class="stat">
          <span class="muted">output tokens</span>
          <span data-testid="chat-output-tokens">{fmtInt(u.outputTokens)}</span>
        </div>
        {u.cachedInputTokens != null && (
          <div class="stat">
            <span class="muted">cached</span>
            <span>{fmtInt(u.cachedInputTokens)}</span>
          </div>
        )}
        {u.reasoningTokens != null && (
          <div class="stat">
            <span class="muted">reasoning</span>
            <span>{fmtInt(u.reasoningTokens)}</span>
          </div>
        )}
        <div class="stat">
          <span class="muted">cost</span>
          <span title={gen.costUsd == null ? "no price known for this model" : ""}>{fmtCost(gen.costUsd)}</span>
        </div>
        <div class="stat">
          <span class="muted">latency</span>
          <span>{fmtDuration(durationMs)}</span>
        </div>
        {gen.timeToFirstTokenMs != null && (
          <div class="stat">
            <span class="muted">first token</span>
            <span>{fmtDuration(gen.timeToFirstTokenMs)}</span>
          </div>
        )}
        {gen.finishReasons && gen.finishReasons.length > 0 && (
          <div class="stat">
            <span class="muted">finish</span>
            <span>{gen.finishReasons.join(", ")}</span>
          </div>
        )}
      </div>
      {params.length > 0 && (
        <div class="params small">
          {params.map(([k, v]) => (
            <span key={k} class="param">
              {k}={typeof v === "string" ? v : JSON.stringify(v)}
            </span>
          ))}
        </div>
      )}
      {gen.errorType && <div class="error-box">error: {gen.errorType}</div>}
      {!gen.contentRecorded ? (
        <p class="not-recorded" data-testid="content-not-recorded">
          Content not recorded. The application did not record prompts and completions (recording is opt-in, e.g.
          OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true or AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED=true).
        </p>
      ) : (
        <div class="messages">
          {gen.systemInstructions && gen.systemInstructions.length > 0 && (
            <MessageView msg={{ role: "system", parts: gen.systemInstructions }} kind="system" />
          )}
          {(gen.inputMessages ?? []).map((m, i) => (
            <MessageView key={"i" + i} msg={m} />
          ))}
          {(gen.outputMessages ?? []).length > 0 && <div class="divider small muted">response</div>}
          {(gen.outputMessages ?? []).map((m, i) => (
            <MessageView key={"o" + i} msg={m} kind="output" />
          ))}
          {gen.contentTruncated && <p class="small warn">Some content was cut by the exporter or by Cairn's size limit.</p>}
        </div>
      )}
    </section>
  );
}
