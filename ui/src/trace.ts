// The compact trace form (api.ts CompactTrace) and what the trace page derives from it: the full
// form of the one span shown in detail, built on demand rather than for all spans up front.
import type { CompactLog, CompactSpan, CompactTrace, Log, Span } from "./api";

/** The span's service: its resource's service.name ("unknown_service" without one). */
export function serviceOf(t: CompactTrace, s: { resource: number }): string {
  return t.resources[s.resource]?.service ?? "unknown_service";
}

/** Duration in milliseconds from nanosecond offsets; never negative. */
export function durationMs(s: { start: number; end: number }): number {
  return Math.max(s.end - s.start, 0) / 1e6;
}

/** base (decimal nanoseconds) + offset as decimal nanoseconds, exactly. */
export function nanoAt(base: string, offset: number): string {
  return (BigInt(base) + BigInt(offset)).toString();
}

/** base + offset as RFC 3339 in UTC with nine fraction digits, as the API writes times. */
export function isoAt(base: string, offset: number): string {
  const ns = BigInt(base) + BigInt(offset);
  let ms = ns / 1_000_000n;
  let rem = ns % 1_000_000n;
  if (rem < 0n) {
    rem += 1_000_000n;
    ms -= 1n;
  }
  const iso = new Date(Number(ms)).toISOString(); // 2026-11-22T15:50:49.713Z
  return iso.slice(0, -1) + rem.toString().padStart(6, "0") + "Z";
}

/** A log record in the full form; a span's records take the span's ids. */
export function expandLog(t: CompactTrace, l: CompactLog, spanId = ""): Log {
  const traceId = spanId ? t.summary.traceId : "";
  return {
    time: isoAt(t.baseUnixNano, l.time),
    timeUnixNano: nanoAt(t.baseUnixNano, l.time),
    traceId: l.traceId ?? traceId,
    spanId: l.spanId ?? spanId,
    severityNumber: l.severityNumber ?? 0,
    severityText: l.severityText ?? "",
    eventName: l.eventName ?? "",
    body: l.body ?? null,
    attributes: l.attributes ?? {},
    resource: t.resources[l.resource]?.attributes ?? {},
    truncated: l.truncated ?? {},
  };
}

/** A span in the full form (docs/api.md's Span), for the detail panel. */
export function expandSpan(t: CompactTrace, s: CompactSpan): Span {
  const base = t.baseUnixNano;
  return {
    traceId: t.summary.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId ?? "",
    name: s.name,
    kind: s.kind ?? "unspecified",
    service: serviceOf(t, s),
    startTime: isoAt(base, s.start),
    startUnixNano: nanoAt(base, s.start),
    endTime: isoAt(base, s.end),
    endUnixNano: nanoAt(base, s.end),
    durationMs: durationMs(s),
    status: s.status ?? { code: "unset", message: "" },
    attributes: s.attributes ?? {},
    resource: t.resources[s.resource]?.attributes ?? {},
    scope: t.scopes[s.scope] ?? {},
    events: (s.events ?? []).map((e) => ({
      name: e.name,
      time: isoAt(base, e.time),
      timeUnixNano: nanoAt(base, e.time),
      attributes: e.attributes ?? {},
    })),
    links: s.links ?? [],
    logs: (s.logs ?? []).map((l) => expandLog(t, l, s.spanId)),
    truncated: s.truncated ?? {},
    sessionId: s.sessionId ?? "",
    userId: s.userId ?? "",
    generation: s.generation ?? null,
  };
}
