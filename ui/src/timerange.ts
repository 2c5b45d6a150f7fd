// Time ranges: a preset relative to now (15m, 1h, ...) or a custom start/end, kept in the URL as
// range=1h or start=...&end=... (RFC 3339).

export const PRESETS: { key: string; label: string; ms: number }[] = [
  { key: "15m", label: "15 min", ms: 15 * 60_000 },
  { key: "1h", label: "1 hour", ms: 3_600_000 },
  { key: "6h", label: "6 hours", ms: 6 * 3_600_000 },
  { key: "24h", label: "24 hours", ms: 24 * 3_600_000 },
  { key: "7d", label: "7 days", ms: 7 * 24 * 3_600_000 },
];

export interface TimeRange {
  preset: string; // a PRESETS key, or "custom"
  start?: string; // RFC 3339, custom only
  end?: string;
}

export function readRange(q: URLSearchParams, fallback = "1h"): TimeRange {
  const start = q.get("start") ?? undefined;
  const end = q.get("end") ?? undefined;
  if (start || end) return { preset: "custom", start, end };
  const r = q.get("range");
  return { preset: PRESETS.some((p) => p.key === r) ? (r as string) : fallback };
}

/** Writes the range into query parameters (removing the others). */
export function writeRange(q: URLSearchParams, r: TimeRange): void {
  q.delete("range");
  q.delete("start");
  q.delete("end");
  if (r.preset === "custom") {
    if (r.start) q.set("start", r.start);
    if (r.end) q.set("end", r.end);
  } else q.set("range", r.preset);
}

/** Resolves to absolute API parameters now (presets move with time, so call it per request). */
export function resolveRange(r: TimeRange): { start: string; end?: string; startMs: number; endMs: number } {
  if (r.preset === "custom") {
    const startMs = r.start ? Date.parse(r.start) : Date.now() - 3_600_000;
    const endMs = r.end ? Date.parse(r.end) : Date.now();
    return { start: new Date(startMs).toISOString(), end: r.end ? new Date(endMs).toISOString() : undefined, startMs, endMs };
  }
  const ms = PRESETS.find((p) => p.key === r.preset)?.ms ?? 3_600_000;
  const endMs = Date.now();
  return { start: new Date(endMs - ms).toISOString(), startMs: endMs - ms, endMs };
}
