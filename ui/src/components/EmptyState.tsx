import { api } from "../api";
import { useAsync } from "../hooks";
import { CopyButton } from "./CopyButton";

/** What a new user needs to send data: shown wherever a list is empty with no filters. */
export function EmptyState({ what }: { what: string }) {
  const info = useAsync((s) => api.info(s), []);
  const otlp = info.data?.otlpHttp || "http://127.0.0.1:4318";
  const conn = info.data?.breezeConnectionString;
  return (
    <div class="empty-state" data-testid="empty-state">
      <h2>No {what} yet</h2>
      <p>Send telemetry to Cairn in one of three ways:</p>
      <ol>
        <li>
          <strong>Try the demo:</strong> in another terminal run
          <pre class="snippet" data-testid="demo-command">{`cairn demo --endpoint ${otlp}`}</pre>
          It runs the Trail Guide app against an offline stand-in model and sends its traces, logs and metrics here.
        </li>
        <li>
          <strong>Any OpenTelemetry SDK</strong> (Python, JS, Go, .NET, Java): set
          <pre class="snippet">
            {`OTEL_EXPORTER_OTLP_ENDPOINT=${otlp}\nOTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf\nOTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`}
          </pre>
          {info.data?.otlpGrpc && (
            <span class="small muted">
              OTLP/gRPC listens on <code>{info.data.otlpGrpc}</code>.
            </span>
          )}
        </li>
        <li>
          <strong>Azure Monitor / Application Insights</strong> (<code>configure_azure_monitor(...)</code>): keep your code and replace
          the connection string with
          {conn ? (
            <div class="snippet-row">
              <pre class="snippet">{`APPLICATIONINSIGHTS_CONNECTION_STRING="${conn}"`}</pre>
              <CopyButton value={conn} label="connection string" />
            </div>
          ) : (
            <span class="muted"> the one shown by /api/v1/info.</span>
          )}
        </li>
      </ol>
      <p class="small muted">This page refreshes by itself: new {what} appear within a few seconds.</p>
    </div>
  );
}
