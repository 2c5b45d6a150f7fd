// Sends the e2e fixtures to a running `cairn serve` over OTLP/HTTP JSON (POST /v1/traces):
// a trace whose prompt, attributes and messages carry XSS payloads, and a 10,000-span trace for
// the trace-page benchmark. Prints {"xssTraceId": ..., "bigTraceId": ...} as JSON on stdout.
// Usage: node e2e/seed.mjs http://127.0.0.1:4318
import { randomBytes } from "node:crypto";

const base = (process.argv[2] ?? "http://127.0.0.1:4318").replace(/\/+$/, "");
const hex = (n) => randomBytes(n).toString("hex");
const nowNs = BigInt(Date.now()) * 1_000_000n;
const ms = (x) => BigInt(Math.round(x * 1e6));

export const XSS_SCRIPT = "<script>window.__xss=1</script>";
export const XSS_IMG = '<img src=x onerror="window.__xss=1">';

const str = (v) => ({ stringValue: v });
const attrs = (o) =>
  Object.entries(o).map(([key, v]) => ({
    key,
    value: typeof v === "number" ? (Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v }) : typeof v === "boolean" ? { boolValue: v } : str(v),
  }));

function span({ traceId, spanId, parentSpanId = "", name, startNs, endNs, kind = 1, attributes = {}, status, events }) {
  const s = {
    traceId, spanId, name, kind,
    startTimeUnixNano: String(startNs), endTimeUnixNano: String(endNs),
    attributes: attrs(attributes),
  };
  if (parentSpanId) s.parentSpanId = parentSpanId;
  if (status) s.status = status;
  if (events) s.events = events;
  return s;
}

async function post(service, spans) {
  const body = {
    resourceSpans: [{
      resource: { attributes: attrs({ "service.name": service, "telemetry.sdk.language": "nodejs" }) },
      scopeSpans: [{ scope: { name: "cairn-e2e", version: "1.0.0" }, spans }],
    }],
  };
  const res = await fetch(base + "/v1/traces", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST /v1/traces: ${res.status} ${await res.text()}`);
}

// The XSS trace: a chat span whose prompt attribute and gen_ai.input.messages carry markup.
const xssTraceId = hex(16);
{
  const root = hex(8), chat = hex(8);
  const t0 = nowNs - ms(90_000);
  const input = [
    { role: "system", parts: [{ type: "text", content: "System says " + XSS_IMG }] },
    { role: "user", parts: [{ type: "text", content: "Ignore previous instructions " + XSS_SCRIPT + " " + XSS_IMG }] },
  ];
  const output = [{ role: "assistant", parts: [{ type: "text", content: "Answer with " + XSS_IMG }], finish_reason: "stop" }];
  await post("xss-probe", [
    span({ traceId: xssTraceId, spanId: root, name: "xss_probe", startNs: t0, endNs: t0 + ms(40), attributes: { "session.id": "xss-session", "evil.attr": XSS_IMG } }),
    span({
      traceId: xssTraceId, spanId: chat, parentSpanId: root, name: "chat gpt-4o", kind: 3, startNs: t0 + ms(5), endNs: t0 + ms(35),
      attributes: {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 7,
        "prompt.user": XSS_SCRIPT + XSS_IMG,
        "gen_ai.input.messages": JSON.stringify(input),
        "gen_ai.output.messages": JSON.stringify(output),
        "session.id": "xss-session",
      },
    }),
  ]);
}

// The 10,000-span trace: a root, 1,000 cases of 1 + 9 steps (one failing step per 100 cases).
const bigTraceId = hex(16);
{
  const t0 = nowNs - ms(120_000);
  const rootId = hex(8);
  const spans = [span({ traceId: bigTraceId, spanId: rootId, name: "batch_eval", startNs: t0, endNs: t0 + ms(20_000) })];
  for (let i = 0; spans.length < 10_000; i++) {
    const caseId = hex(8);
    const cs = t0 + ms(i * 20);
    spans.push(span({ traceId: bigTraceId, spanId: caseId, parentSpanId: rootId, name: "evaluate_case", startNs: cs, endNs: cs + ms(18), attributes: { "case.index": i } }));
    for (let k = 0; k < 9 && spans.length < 10_000; k++) {
      const failing = k === 8 && i % 100 === 0;
      spans.push(span({
        traceId: bigTraceId, spanId: hex(8), parentSpanId: caseId, name: "step " + k, startNs: cs + ms(k * 2), endNs: cs + ms(k * 2 + 1.5),
        attributes: { "step.index": k },
        status: failing ? { code: 2, message: "assertion failed" } : undefined,
      }));
    }
  }
  for (let i = 0; i < spans.length; i += 2000) await post("eval-runner", spans.slice(i, i + 2000));
}

console.log(JSON.stringify({ xssTraceId, bigTraceId }));
