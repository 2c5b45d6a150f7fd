// Formatting helpers. They return plain strings that the UI renders as text.

export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !isFinite(ms)) return "–";
  if (ms === 0) return "0";
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} m ${((ms % 60_000) / 1000).toFixed(0)} s`;
}

export function fmtInt(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  return n.toLocaleString("en-US");
}

/** Cost in US dollars; null means unknown (no price for the model), shown as a dash. */
export function fmtCost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return "–";
  if (usd === 0) return "$0";
  if (usd < 0.01) return "$" + usd.toPrecision(2);
  return "$" + usd.toFixed(usd < 10 ? 3 : 2);
}

export function fmtPercent(r: number | null | undefined): string {
  if (r === null || r === undefined || !isFinite(r)) return "–";
  return (r * 100).toFixed(r < 0.1 ? 1 : 0) + "%";
}

// Formatters are built once: toLocaleTimeString and friends build one per call, which shows
// in a page that formats hundreds of times.
let timeFmt: Intl.DateTimeFormat | undefined;
let dateFmt: Intl.DateTimeFormat | undefined;

export function fmtTime(iso: string): string {
  const d = new Date(iso);
  if (isNaN(d.getTime())) return iso;
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  timeFmt ??= new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  dateFmt ??= new Intl.DateTimeFormat("en-CA");
  const time = timeFmt.format(d);
  const ms = String(d.getMilliseconds()).padStart(3, "0");
  return sameDay ? `${time}.${ms}` : `${dateFmt.format(d)} ${time}`;
}

export function fmtAgo(iso: string): string {
  const t = new Date(iso).getTime();
  if (isNaN(t)) return "";
  const s = Math.round((Date.now() - t) / 1000);
  if (s < 60) return `${Math.max(s, 0)}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** A value from an attribute map as a single line of text. */
export function fmtValue(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "";
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/** Pretty JSON for tool arguments and structured bodies (strings that hold JSON are parsed). */
export function fmtJSON(v: unknown): string {
  if (typeof v === "string") {
    try {
      return JSON.stringify(JSON.parse(v), null, 2);
    } catch {
      return v;
    }
  }
  try {
    return JSON.stringify(v, null, 2);
  } catch {
    return String(v);
  }
}

export function tokensText(input: number | null | undefined, output: number | null | undefined): string {
  if (!input && !output) return "–";
  return `${fmtInt(input ?? 0)} → ${fmtInt(output ?? 0)}`;
}
