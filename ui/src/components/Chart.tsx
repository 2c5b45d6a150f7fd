import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { useTheme } from "../theme";

export interface SeriesSpec {
  label: string;
  values: (number | null)[];
  color: string;
  dash?: number[];
}

const PALETTE = ["#3b82f6", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#ec4899", "#14b8a6", "#84cc16"];

export function color(i: number): string {
  return PALETTE[i % PALETTE.length];
}

/** A time-series line chart (uPlot, canvas). xs are Unix seconds. */
export function Chart({ title, xs, series, fmt, testId, integer }: {
  title: string; xs: number[]; series: SeriesSpec[]; fmt?: (v: number) => string; testId?: string; integer?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const theme = useTheme();
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue("--muted").trim() || "#888";
    const grid = css.getPropertyValue("--grid").trim() || "rgba(128,128,128,.15)";
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 200),
      height: 180,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
      axes: [axis, { ...axis, size: 72, ...(integer ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 100_000, 1_000_000] } : {}), values: (_u, vals) => vals.map((v) => (fmt ? fmt(v) : String(v))) }],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 1.5,
          dash: s.dash,
          spanGaps: false,
          // Sparse data (most steps empty) would be invisible as lines alone: show the points too.
          // Only non-empty steps get a dot, so zero baselines stay quiet.
          points: {
            show: xs.length <= 240,
            size: 5,
            filter: (u: uPlot, si: number) => {
              const ys = u.data[si];
              const out: number[] = [];
              for (let i = 0; i < ys.length; i++) if (ys[i] != null && ys[i] !== 0) out.push(i);
              return out;
            },
          },
          value: (_u: uPlot, v: number | null) => (v == null ? "–" : fmt ? fmt(v) : String(v)),
        })),
      ],
    };
    const plot = new uPlot(opts, [xs, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 200), height: 180 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [xs, series, theme]);
  return (
    <div class="chart-card" data-testid={testId}>
      <h3>{title}</h3>
      <div class="chart" ref={ref} />
    </div>
  );
}
