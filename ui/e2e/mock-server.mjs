// A stand-in for `cairn serve` during UI development: serves ui/dist (index.html fallback, the
// same CSP as ui/embed.go) and /api/v1 with generated data shaped exactly like docs/api.md.
// Usage: node e2e/mock-server.mjs [port]   (MOCK_TOKEN=secret makes /api require a bearer token)
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const DIST = fileURLToPath(new URL("../dist/", import.meta.url));
const PORT = Number(process.argv[2] ?? process.env.PORT ?? 4318);
const TOKEN = process.env.MOCK_TOKEN ?? "";
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const hex = (n) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join("");
const ns = (ms) => (BigInt(Math.round(ms * 1000)) * 1000n).toString();
const iso = (ms) => new Date(ms).toISOString().replace("Z", "000000Z").replace(/\.(\d{3})000000Z$/, ".$1000000Z");

function span(traceId, parent, name, startMs, durMs, extra = {}) {
  return {
    traceId, spanId: hex(16), parentSpanId: parent?.spanId ?? "", name, kind: "internal", service: "trail-guide",
    startTime: iso(startMs), startUnixNano: ns(startMs), endTime: iso(startMs + durMs), endUnixNano: ns(startMs + durMs), durationMs: durMs,
    status: { code: "unset", message: "" }, attributes: {}, resource: { "service.name": "trail-guide", "telemetry.sdk.language": "python" },
    scope: { name: "trail_guide", version: "1.0" }, events: [], links: [], logs: [], truncated: {}, sessionId: "", userId: "", generation: null,
    ...extra,
  };
}

// Completes a generation as the real API renders it (internal/api/render_generation.go): every
// field present, unknown numbers null, empty lists [], params {}, absent strings "".
function gen(g) {
  const u = g.usage ?? {};
  return {
    operation: "", provider: "", requestModel: "", responseModel: "", responseId: "", convention: "otel_genai", conversationId: "", agentName: "", toolName: "",
    costUsd: null, finishReasons: [], params: {}, timeToFirstTokenMs: null, errorType: "", contentRecorded: false,
    systemInstructions: [], inputMessages: [], outputMessages: [], contentTruncated: false,
    ...g,
    usage: { inputTokens: null, outputTokens: null, cachedInputTokens: null, cacheCreationTokens: null, reasoningTokens: null, totalTokens: null, ...u },
  };
}

const PREFS = ["moderate difficulty, lakes, 10 km", "easy, forest, dog friendly", "hard, summit views, full day", "coastal, sunset, short"];
const ANSWERS = ["Skyline Trail: a moderate 10 km loop past alpine lakes.", "Forest Park Loop: an easy shaded walk, dogs welcome.", "Mount Si: a steep full-day climb to sweeping summit views.", "Cape Lookout: a short coastal path ending at sunset cliffs."];

const traces = new Map(); // traceId -> {summary, spans, orphanLogs}

function summarize(spans, orphanLogs = []) {
  const root = spans.find((s) => !s.parentSpanId) ?? spans[0];
  let start = Infinity, end = -Infinity, inTok = 0, outTok = 0, cost = null, gens = 0, errs = 0;
  const models = new Set();
  for (const s of spans) {
    start = Math.min(start, Date.parse(s.startTime)); end = Math.max(end, Date.parse(s.startTime) + s.durationMs);
    if (s.status.code === "error") errs++;
    const g = s.generation;
    if (g) { gens++; inTok += g.usage.inputTokens ?? 0; outTok += g.usage.outputTokens ?? 0; if (g.costUsd != null) cost = (cost ?? 0) + g.costUsd; if (g.requestModel) models.add(g.requestModel); }
  }
  const sess = spans.find((s) => s.sessionId)?.sessionId ?? "";
  return { traceId: root.traceId, rootName: root.name, rootService: root.service, hasRoot: !root.parentSpanId, startTime: iso(start), startUnixNano: ns(start),
    durationMs: end - start, spanCount: spans.length, errorCount: errs, generationCount: gens, inputTokens: inTok, outputTokens: outTok, costUsd: cost,
    sessionId: sess, userId: spans.find((s) => s.userId)?.userId ?? "", models: [...models] };
}

function add(spans, orphanLogs = []) {
  spans.sort((a, b) => (BigInt(a.startUnixNano) < BigInt(b.startUnixNano) ? -1 : 1));
  traces.set(spans[0].traceId, { summary: summarize(spans), spans, orphanLogs });
}

function trailGuide(t0, i, sessionId, opts = {}) {
  const tid = hex(32);
  const pref = PREFS[i % PREFS.length];
  const model = opts.model ?? "gpt-4o";
  const lat = 300 + rnd() * 900 + (opts.slow ? 4000 : 0);
  const root = span(tid, null, "trail_guide_session", t0, lat + 40, { sessionId, userId: "hiker-" + (i % 3), attributes: { "session.id": sessionId, "session.success": !opts.error } });
  const rh = span(tid, root, "recommend_hike", t0 + 5, lat + 30, { sessionId, attributes: { "hike_recommendation": opts.error ? "" : ANSWERS[i % 4] } });
  const mc = span(tid, rh, "recommend_model_call", t0 + 8, lat + 20, { sessionId, attributes: { "prompt.user": `Recommend a named hiking trail. Preferences: ${pref}`, "response.time": lat / 1000 } });
  const inTok = 30 + Math.floor(rnd() * 40), outTok = opts.error ? 0 : 12 + Math.floor(rnd() * 30);
  const chat = span(tid, mc, `chat ${model}`, t0 + 10, lat, {
    kind: "client", sessionId,
    attributes: { "gen_ai.operation.name": "chat", "gen_ai.request.model": model, "gen_ai.usage.input_tokens": inTok, "gen_ai.usage.output_tokens": outTok, "server.address": "127.0.0.1" },
    generation: gen({
      operation: "chat", provider: "openai", requestModel: model, responseModel: model + "-2024-08-06", responseId: "chatcmpl-" + hex(8), convention: "otel_genai",
      usage: { inputTokens: inTok, outputTokens: outTok, totalTokens: inTok + outTok }, costUsd: model === "local-llama" ? null : (inTok * 2.5 + outTok * 10) / 1e6,
      finishReasons: opts.error ? [] : [opts.tool ? "tool_calls" : "stop"], params: { temperature: 0.7, max_tokens: 256 }, timeToFirstTokenMs: lat * 0.3, errorType: opts.error ? "RateLimitError" : "",
      contentRecorded: !opts.noContent,
      systemInstructions: opts.noContent ? [] : [{ type: "text", content: "You are an expert hiking trail recommender." }],
      inputMessages: opts.noContent ? [] : [{ role: "user", parts: [{ type: "text", content: `Recommend a named hiking trail based on the following user preferences.\nProvide only the name of the trail and a one-sentence summary.\nPreferences: ${pref}` }] }],
      outputMessages: opts.noContent || opts.error ? [] : [{ role: "assistant", finishReason: opts.tool ? "tool_calls" : "stop", parts: opts.tool
        ? [{ type: "text", content: "Let me check the weather first." }, { type: "tool_call", id: "call_1", name: "get_weather", arguments: { city: "Seattle", days: 2 } }]
        : [{ type: "text", content: ANSWERS[i % 4] }] }],
      contentTruncated: false,
    }),
  });
  if (opts.error) {
    for (const s of [chat, mc, rh, root]) s.status = { code: "error", message: "429 Too Many Requests: rate limit exceeded" };
    chat.events.push({ name: "exception", time: iso(t0 + lat), timeUnixNano: ns(t0 + lat), attributes: { "exception.type": "openai.RateLimitError", "exception.message": "Rate limit reached for gpt-4o", "exception.stacktrace": "Traceback (most recent call last):\n  File \"trail_guide.py\", line 42, in call_model\n    response = chat_client.chat.completions.create(\nopenai.RateLimitError: Rate limit reached for gpt-4o" } });
  }
  chat.logs.push({ time: iso(t0 + 10), timeUnixNano: ns(t0 + 10), traceId: tid, spanId: chat.spanId, severityNumber: 9, severityText: "INFO", eventName: "gen_ai.user.message", body: { content: `Preferences: ${pref}` }, attributes: {}, resource: {}, truncated: {} });
  add([root, rh, mc, chat]);
}

const now = Date.now();
for (let i = 0; i < 14; i++) {
  const t0 = now - (14 - i) * 3.5 * 60_000;
  trailGuide(t0, i, "session_" + Math.floor(i / 3), { error: i === 5 || i === 11, tool: i === 7, slow: i === 9, noContent: i === 3, model: i % 4 === 2 ? "gpt-4o-mini" : "gpt-4o" });
}

// The XSS trace: payloads in names, attributes and content must render as literal text.
{
  const X1 = "<script>window.__xss=1</script>", X2 = '<img src=x onerror="window.__xss=1">';
  const tid = hex(32);
  const root = span(tid, null, "xss_probe " + X2, now - 60_000, 20, { attributes: { "prompt.user": X1, "evil.attr": X2, [X2]: "key payload" } });
  const chat = span(tid, root, "chat " + X1, now - 59_990, 10, { generation: gen({ operation: "chat", requestModel: "gpt-4o", usage: { inputTokens: 5, outputTokens: 5 }, costUsd: 0.0001, contentRecorded: true,
    systemInstructions: [{ type: "text", content: X2 }], inputMessages: [{ role: "user", parts: [{ type: "text", content: X1 }] }], outputMessages: [{ role: "assistant", parts: [{ type: "text", content: X2 }] }] }) });
  add([root, chat]);
}

// A 10,000-span trace.
{
  const tid = hex(32);
  const t0 = now - 30_000;
  const root = span(tid, null, "batch_eval", t0, 20_000, { service: "eval-runner" });
  const spans = [root];
  for (let i = 0; i < 999; i++) {
    const c = span(tid, root, "evaluate_case " + i, t0 + i * 20, 18, { service: "eval-runner" });
    spans.push(c);
    for (let k = 0; k < 9 && spans.length < 10_000; k++) spans.push(span(tid, c, "step " + k, t0 + i * 20 + k * 2, 1.5, { service: "eval-runner", status: { code: k === 8 && i % 100 === 0 ? "error" : "ok", message: "" } }));
  }
  while (spans.length < 10_000) spans.push(span(tid, root, "tail", t0 + 19_990, 1, { service: "eval-runner" }));
  add(spans);
}

function all() { return [...traces.values()].sort((a, b) => Date.parse(b.summary.startTime) - Date.parse(a.summary.startTime)); }
function page(items, q) {
  const limit = Math.min(Number(q.get("limit") ?? 20), 1000), off = Number(q.get("cursor") ?? 0);
  return { items: items.slice(off, off + limit), next: off + limit < items.length ? String(off + limit) : undefined };
}
function timeOk(ms, q) {
  const p = (v) => (/^\d+$/.test(v) ? Number(v) : Date.parse(v));
  return (!q.get("start") || ms >= p(q.get("start"))) && (!q.get("end") || ms <= p(q.get("end")));
}
function dur(v) { const m = /^([\d.]+)(ms|s)?$/.exec(v); return m ? Number(m[1]) * (m[2] === "s" ? 1000 : 1) : 0; }

function searchTraces(q) {
  return all().filter(({ summary: s, spans }) => {
    if (!timeOk(Date.parse(s.startTime), q)) return false;
    if (q.get("service") && !spans.some((x) => x.service === q.get("service"))) return false;
    if (q.get("name") && !spans.some((x) => x.name === q.get("name"))) return false;
    if (q.get("status") === "error" && !s.errorCount) return false;
    if (q.get("status") === "ok" && s.errorCount) return false;
    if (q.get("model") && !s.models.includes(q.get("model"))) return false;
    if (q.get("session") && s.sessionId !== q.get("session")) return false;
    if (q.get("user") && s.userId !== q.get("user")) return false;
    if (q.get("minDuration") && s.durationMs < dur(q.get("minDuration"))) return false;
    for (const a of q.getAll("attr")) { const [k, v] = a.split("="); if (!spans.some((x) => String(x.attributes?.[k]) === v)) return false; }
    if (q.get("q")) { const needle = q.get("q").toLowerCase(); if (!spans.some((x) => JSON.stringify(x.generation ?? "").toLowerCase().includes(needle) || JSON.stringify(x.logs).toLowerCase().includes(needle))) return false; }
    return true;
  });
}

function sessions() {
  const m = new Map();
  for (const t of all().reverse()) {
    const id = t.summary.sessionId; if (!id) continue;
    if (!m.has(id)) m.set(id, []);
    m.get(id).push(t);
  }
  return [...m.entries()].map(([id, ts]) => {
    const f = ts[0].summary, l = ts[ts.length - 1].summary;
    const cost = ts.reduce((c, t) => (t.summary.costUsd == null ? c : (c ?? 0) + t.summary.costUsd), null);
    return { session: { id, service: f.rootService, userId: f.userId, traceCount: ts.length, errorCount: ts.reduce((n, t) => n + t.summary.errorCount, 0), generationCount: ts.reduce((n, t) => n + t.summary.generationCount, 0),
      firstTime: f.startTime, firstUnixNano: f.startUnixNano, lastTime: l.startTime, lastUnixNano: l.startUnixNano, durationMs: Date.parse(l.startTime) + l.durationMs - Date.parse(f.startTime),
      inputTokens: ts.reduce((n, t) => n + t.summary.inputTokens, 0), outputTokens: ts.reduce((n, t) => n + t.summary.outputTokens, 0), costUsd: cost, success: id.endsWith("3") ? null : ts.every((t) => !t.summary.errorCount) }, ts };
  }).sort((a, b) => Date.parse(b.session.lastTime) - Date.parse(a.session.lastTime));
}

function metrics(q) {
  const p = (v) => (/^\d+$/.test(v) ? Number(v) : Date.parse(v));
  const end = q.get("end") ? p(q.get("end")) : Date.now(), start = q.get("start") ? p(q.get("start")) : end - 3_600_000;
  const step = Math.max(60, Math.round((end - start) / 60 / 60_000) * 60);
  const by = q.get("groupBy") || "model";
  const groups = new Map();
  const pct = (xs, f) => (xs.length ? xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(f * xs.length))] : null);
  for (const t of all()) for (const s of t.spans) {
    const g = s.generation; if (!g) continue;
    const ms = Date.parse(s.startTime); if (ms < start || ms > end) continue;
    const key = by === "model" ? g.requestModel : by === "service" ? s.service : g.operation;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push({ ms, s, g });
  }
  const b0 = Math.floor(start / 1000 / step) * step * 1000;
  return { stepSeconds: step, groups: [...groups.entries()].map(([key, xs]) => {
    const points = [];
    for (let b = b0; b <= end; b += step * 1000) {
      const in_ = xs.filter((x) => x.ms >= b && x.ms < b + step * 1000);
      const lat = in_.map((x) => x.s.durationMs), errs = in_.filter((x) => x.s.status.code === "error").length;
      points.push({ time: iso(b), timeUnixNano: ns(b), calls: in_.length, errors: errs, errorRate: in_.length ? errs / in_.length : 0, p50Ms: pct(lat, 0.5), p95Ms: pct(lat, 0.95), p99Ms: pct(lat, 0.99),
        inputTokens: in_.reduce((n, x) => n + (x.g.usage.inputTokens ?? 0), 0), outputTokens: in_.reduce((n, x) => n + (x.g.usage.outputTokens ?? 0), 0), costUsd: in_.length ? in_.reduce((n, x) => n + (x.g.costUsd ?? 0), 0) : 0 });
    }
    return { key, points };
  }) };
}

// The compact form of a trace (GET /api/v1/traces/{id}?view=compact, docs/api.md), as
// internal/api/render_compact.go writes it.
function compact(t) {
  const base = t.spans.reduce((m, s) => (BigInt(s.startUnixNano) < m ? BigInt(s.startUnixNano) : m), t.spans.length ? BigInt(t.spans[0].startUnixNano) : BigInt(t.summary.startUnixNano));
  const off = (n) => Number(BigInt(n) - base);
  const resources = [], scopes = [];
  const index = (list, v) => { const k = JSON.stringify(v); let i = list.findIndex((x) => JSON.stringify(x) === k); if (i < 0) { i = list.length; list.push(v); } return i; };
  const res = (attrs) => index(resources, { service: attrs?.["service.name"] || "unknown_service", attributes: attrs ?? {} });
  const empty = (v) => v === undefined || v === null || v === "" || (Array.isArray(v) && !v.length) || (typeof v === "object" && !Array.isArray(v) && !Object.keys(v).length);
  const prune = (o) => Object.fromEntries(Object.entries(o).filter(([k, v]) => !empty(v) || ["name", "resource", "scope", "start", "end", "time"].includes(k)));
  const log = (l, orphan) => prune({ time: off(l.timeUnixNano), traceId: orphan ? l.traceId : "", spanId: orphan ? l.spanId : "", severityNumber: l.severityNumber || undefined,
    severityText: l.severityText, eventName: l.eventName, body: l.body, attributes: l.attributes, resource: res(l.resource), truncated: l.truncated });
  const spans = t.spans.map((s) => prune({
    spanId: s.spanId, parentSpanId: s.parentSpanId, name: s.name, kind: s.kind === "unspecified" ? "" : s.kind, start: off(s.startUnixNano), end: off(s.endUnixNano),
    status: s.status.code === "unset" && !s.status.message ? undefined : s.status, attributes: s.attributes, resource: res(s.resource), scope: index(scopes, s.scope),
    events: s.events.map((e) => prune({ name: e.name, time: off(e.timeUnixNano), attributes: e.attributes })), links: s.links, logs: s.logs.map((l) => log(l, false)),
    truncated: s.truncated, sessionId: s.sessionId, userId: s.userId, generation: s.generation,
  }));
  return { summary: t.summary, baseUnixNano: base.toString(), resources, scopes, spans, orphanLogs: (t.orphanLogs ?? []).map((l) => log(l, true)) };
}

function start0(q) { const v = q.get("start"); return v ? (/^\d+$/.test(v) ? Number(v) : Date.parse(v)) : Date.now() - 3_600_000; }

function api(path, q) {
  if (path === "/api/v1/traces") { const { items, next } = page(searchTraces(q), q); return { traces: items.map((t) => t.summary), nextCursor: next }; }
  let m = /^\/api\/v1\/traces\/([^/]+)$/.exec(path);
  if (m) { if (!/^[0-9a-f]{32}$/.test(m[1])) return [400, { error: "traceId must be 32 lower-case hex characters" }]; const t = traces.get(m[1]); if (!t) return [404, { error: "trace not found" }]; return q.get("view") === "compact" ? compact(t) : t; }
  if (path === "/api/v1/services") return { services: [...new Set(all().flatMap((t) => t.spans.map((s) => s.service)))].sort() };
  if (path === "/api/v1/operations") return { operations: [...new Set(all().flatMap((t) => t.spans.filter((s) => !q.get("service") || s.service === q.get("service")).map((s) => s.name)))].slice(0, 200).map((name) => ({ name, spanKind: "internal" })) };
  if (path === "/api/v1/sessions") { const { items, next } = page(sessions(), q); return { sessions: items.map((s) => s.session), nextCursor: next }; }
  m = /^\/api\/v1\/sessions\/([^/]+)$/.exec(path);
  if (m) {
    const s = sessions().find((x) => x.session.id === decodeURIComponent(m[1])); if (!s) return [404, { error: "session not found" }];
    return { session: s.session, traces: s.ts.map((t) => { const g = t.spans.find((x) => x.generation)?.generation; return { ...t.summary, firstUserMessage: g?.inputMessages?.[0]?.parts?.[0]?.content ?? "", lastAnswer: g?.outputMessages?.[0]?.parts?.[0]?.content ?? "" }; }) };
  }
  if (path === "/api/v1/metrics/genai") return metrics(q);
  if (path === "/api/v1/models") { const r = metrics(q); return { models: r.groups.map((g) => ({ model: g.key, provider: "openai", calls: g.points.reduce((n, p) => n + p.calls, 0), errors: 0, inputTokens: 0, outputTokens: 0, costUsd: null, firstTime: iso(start0(q)), firstUnixNano: ns(start0(q)), lastTime: iso(Date.now()), lastUnixNano: ns(Date.now()) })) }; }
  if (path === "/api/v1/info") return { version: "mock", otlpGrpc: "127.0.0.1:4317", otlpHttp: `http://127.0.0.1:${PORT}`, breezeConnectionString: "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:4319/", authRequired: !!TOKEN };
  return [404, { error: "unknown API path " + path }];
}

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png" };

createServer(async (req, res) => {
  const url = new URL(req.url, "http://x");
  if (url.pathname.startsWith("/api/")) {
    if (TOKEN && req.headers.authorization !== "Bearer " + TOKEN) { res.writeHead(401, { "Content-Type": "application/json" }); return res.end(JSON.stringify({ error: "missing or wrong API token: send Authorization: Bearer <token>" })); }
    let out = api(url.pathname, url.searchParams), status = 200;
    if (Array.isArray(out)) [status, out] = out;
    // As internal/api/respond.go: nextCursor absent on the last page, <>& escaped.
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "X-Content-Type-Options": "nosniff" });
    return res.end(JSON.stringify(out).replace(/[<>&]/g, (c) => "\\u00" + c.charCodeAt(0).toString(16)));
  }
  res.setHeader("Content-Security-Policy", CSP);
  const rel = normalize(url.pathname).replace(/^(\.\.[/\\])+/, "");
  try {
    if (rel === "/" || rel.endsWith("/")) throw new Error("index");
    const data = await readFile(join(DIST, rel));
    res.writeHead(200, { "Content-Type": TYPES[extname(rel)] ?? "application/octet-stream" });
    res.end(data);
  } catch {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache" });
    res.end(await readFile(join(DIST, "index.html")));
  }
}).listen(PORT, "127.0.0.1", () => console.log(`mock cairn on http://127.0.0.1:${PORT}`));
