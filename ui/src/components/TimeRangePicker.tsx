import { useState } from "preact/hooks";
import { PRESETS, type TimeRange } from "../timerange";

function toLocalInput(iso?: string): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (isNaN(d.getTime())) return "";
  const off = d.getTimezoneOffset() * 60_000;
  return new Date(d.getTime() - off).toISOString().slice(0, 16);
}

function fromLocalInput(v: string): string | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  return isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Preset buttons (15m … 7d) and a custom from/to range. */
export function TimeRangePicker({ value, onChange }: { value: TimeRange; onChange: (r: TimeRange) => void }) {
  const [custom, setCustom] = useState(value.preset === "custom");
  return (
    <div class="time-range" role="group" aria-label="Time range">
      {PRESETS.map((p) => (
        <button
          type="button"
          key={p.key}
          class={"seg" + (value.preset === p.key ? " active" : "")}
          aria-pressed={value.preset === p.key}
          onClick={() => {
            setCustom(false);
            onChange({ preset: p.key });
          }}
        >
          {p.key}
        </button>
      ))}
      <button type="button" class={"seg" + (value.preset === "custom" || custom ? " active" : "")} onClick={() => setCustom(!custom)}>
        custom
      </button>
      {(custom || value.preset === "custom") && (
        <span class="custom-range">
          <input
            type="datetime-local"
            aria-label="From"
            value={toLocalInput(value.start)}
            onChange={(e) => onChange({ preset: "custom", start: fromLocalInput((e.target as HTMLInputElement).value), end: value.end })}
          />
          <span class="muted">to</span>
          <input
            type="datetime-local"
            aria-label="To"
            value={toLocalInput(value.end)}
            onChange={(e) => onChange({ preset: "custom", start: value.start, end: fromLocalInput((e.target as HTMLInputElement).value) })}
          />
        </span>
      )}
    </div>
  );
}
