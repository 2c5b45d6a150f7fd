// Typed client for Cairn's JSON API (docs/api.md). Every value in these types comes from
// instrumented applications and is untrusted: render it as text only.

export type Attrs = Record<string, unknown>;

export interface TraceSummary {
  traceId: string;
  rootName: string;
  rootService: string;
  hasRoot: boolean;
  startTime: string;
  startUnixNano: string;
  durationMs: number;
  spanCount: number;
  errorCount: number;
  generationCount: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  sessionId: string;
  userId: string;
  models: string[] | null;
}

export interface SessionTrace extends TraceSummary {
  firstUserMessage?: string;
  lastAnswer?: string;
}

export interface Status {
  code: "ok" | "error" | "unset" | string;
  message?: string;
}

export interface SpanEvent {
  name: string;
  time: string;
  timeUnixNano: string;
  attributes?: Attrs | null;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  attributes?: Attrs | null;
}

export interface Log {
  time: string;
  timeUnixNano: string;
  traceId?: string;
  spanId?: string;
  severityNumber?: number;
  severityText?: string;
  eventName?: string;
  body?: unknown;
  attributes?: Attrs | null;
  resource?: Attrs | null;
  truncated?: Record<string, number> | null;
}

export interface Part {
  type: string;
  content?: string;
  id?: string;
  name?: string;
  arguments?: unknown;
  response?: unknown;
  mimeType?: string;
  modality?: string;
  uri?: string;
  fileId?: string;
  extra?: Attrs;
}

export interface Message {
  role: string;
  name?: string;
  finishReason?: string;
  parts: Part[] | null;
}

/** Token counts: null (or absent) when the instrumentation did not report them. */
export interface Usage {
  inputTokens?: number | null;
  outputTokens?: number | null;
  cachedInputTokens?: number | null;
  cacheCreationTokens?: number | null;
  reasoningTokens?: number | null;
  totalTokens?: number | null;
}

export interface Generation {
  operation: string;
  provider?: string;
  requestModel?: string;
  responseModel?: string;
  responseId?: string;
  convention?: string;
  conversationId?: string;
  agentName?: string;
  toolName?: string;
  usage: Usage;
  costUsd?: number | null;
  finishReasons?: string[] | null;
  params?: Attrs | null;
  timeToFirstTokenMs?: number | null;
  errorType?: string;
  contentRecorded: boolean;
  systemInstructions?: Part[] | null;
  inputMessages?: Message[] | null;
  outputMessages?: Message[] | null;
  contentTruncated?: boolean;
}

export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: string;
  service: string;
  startTime: string;
  startUnixNano: string;
  endTime?: string;
  endUnixNano: string;
  durationMs: number;
  status: Status;
  attributes?: Attrs | null;
  resource?: Attrs | null;
  scope?: { name?: string; version?: string } | null;
  events?: SpanEvent[] | null;
  links?: SpanLink[] | null;
  logs?: Log[] | null;
  truncated?: Record<string, number> | null;
  sessionId?: string;
  userId?: string;
  generation?: Generation | null;
}

export interface TraceDetail {
  summary: TraceSummary;
  spans: Span[];
  orphanLogs?: Log[] | null;
}

/**
 * GET /api/v1/traces/{id}?view=compact (docs/api.md): everything TraceDetail holds in about a
 * third of the bytes. Times are nanosecond offsets from baseUnixNano, resources and scopes are
 * indexes into tables, empty fields are left out. trace.ts expands a span to the full form.
 */
export interface CompactTrace {
  summary: TraceSummary;
  baseUnixNano: string;
  resources: { service: string; attributes: Attrs }[];
  scopes: { name?: string; version?: string }[];
  spans: CompactSpan[];
  orphanLogs: CompactLog[];
}

export interface CompactSpan {
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: string;
  start: number;
  end: number;
  status?: Status;
  attributes?: Attrs;
  resource: number;
  scope: number;
  events?: { name: string; time: number; attributes?: Attrs }[];
  links?: SpanLink[];
  logs?: CompactLog[];
  truncated?: Record<string, number>;
  sessionId?: string;
  userId?: string;
  generation?: Generation;
}

export interface CompactLog {
  time: number;
  traceId?: string;
  spanId?: string;
  severityNumber?: number;
  severityText?: string;
  eventName?: string;
  body?: unknown;
  attributes?: Attrs;
  resource: number;
  truncated?: Record<string, number>;
}

export interface Session {
  id: string;
  service: string;
  userId: string;
  traceCount: number;
  errorCount: number;
  generationCount: number;
  firstTime: string;
  firstUnixNano: string;
  lastTime: string;
  lastUnixNano: string;
  durationMs: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  /** The app's session.success attribute; null when it never set one. */
  success: boolean | null;
}

export interface MetricPoint {
  time: string;
  timeUnixNano: string;
  calls: number;
  errors: number;
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
}

export interface MetricsGenAI {
  stepSeconds: number;
  groups: { key: string; points: MetricPoint[] }[] | null;
}

export interface Info {
  version: string;
  otlpGrpc: string;
  otlpHttp: string;
  breezeConnectionString: string;
  authRequired: boolean;
}

/** Raised for a 401: the UI asks for the API token and retries. */
export class AuthRequiredError extends Error {
  constructor() {
    super("This Cairn server needs an API token.");
  }
}

/** Raised for any other non-2xx answer, with the server's own explanation. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = "cairn.apiToken";

export function getToken(): string {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? "";
  } catch {
    return "";
  }
}

export function setToken(token: string): void {
  localStorage.setItem(TOKEN_KEY, token);
}

/** Query parameters; arrays repeat the key, empty values are left out. */
export type Params = Record<string, string | number | undefined | null | string[]>;

export function toQuery(params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) v.filter((x) => x !== "").forEach((x) => q.append(k, x));
    else q.set(k, String(v));
  }
  const s = q.toString();
  return s ? "?" + s : "";
}

async function get<T>(path: string, params: Params = {}, signal?: AbortSignal): Promise<T> {
  // No other header: GET /api/v1/traces/{id}?view=compact may be answered by the preload that
  // the server puts in the page (ui/embed.go), which Chromium reuses only for the same headers.
  const headers: Record<string, string> = {};
  const token = getToken();
  if (token) headers.Authorization = "Bearer " + token;
  const res = await fetch("/api/v1" + path + toQuery(params), { headers, signal });
  if (res.status === 401) {
    window.dispatchEvent(new CustomEvent("cairn:auth-required"));
    throw new AuthRequiredError();
  }
  if (!res.ok) {
    let msg = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { error?: string };
      if (body.error) msg = body.error;
    } catch {
      /* not JSON: keep the status line */
    }
    throw new ApiError(res.status, msg);
  }
  return (await res.json()) as T;
}

export const api = {
  traces: (p: Params, signal?: AbortSignal) =>
    get<{ traces: TraceSummary[] | null; nextCursor?: string }>("/traces", p, signal),
  trace: (id: string, signal?: AbortSignal) =>
    get<CompactTrace>("/traces/" + encodeURIComponent(id), { view: "compact" }, signal),
  services: (signal?: AbortSignal) => get<{ services: string[] | null }>("/services", {}, signal),
  operations: (service: string, signal?: AbortSignal) =>
    get<{ operations: { name: string; spanKind: string }[] | null }>("/operations", { service }, signal),
  sessions: (p: Params, signal?: AbortSignal) =>
    get<{ sessions: Session[] | null; nextCursor?: string }>("/sessions", p, signal),
  session: (id: string, signal?: AbortSignal) =>
    get<{ session: Session; traces: SessionTrace[] | null }>("/sessions/" + encodeURIComponent(id), {}, signal),
  metricsGenAI: (p: Params, signal?: AbortSignal) => get<MetricsGenAI>("/metrics/genai", p, signal),
  models: (p: Params, signal?: AbortSignal) =>
    get<{ models: { model: string; provider: string; calls: number; errors: number; inputTokens: number; outputTokens: number; costUsd: number | null }[] | null }>(
      "/models",
      p,
      signal,
    ),
  info: (signal?: AbortSignal) => get<Info>("/info", {}, signal),
};
