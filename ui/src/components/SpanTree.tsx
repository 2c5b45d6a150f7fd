import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { CompactSpan, CompactTrace } from "../api";
import { fmtDuration } from "../format";
import { durationMs, serviceOf } from "../trace";

/** The trace's spans arranged as a tree, computed once per trace. */
export interface TreeModel {
  trace: CompactTrace;
  spans: CompactSpan[];
  children: number[][]; // child indexes per span, in start order
  roots: number[];
  depth: number[];
  parent: number[]; // -1 for roots and orphans
  offsetMs: number[]; // start relative to the trace start
  totalMs: number; // trace time axis length
}

/** Builds the tree: spans whose parent is missing (not yet received) become extra roots. */
export function buildTree(trace: CompactTrace): TreeModel {
  const spans = trace.spans ?? [];
  const n = spans.length;
  const idx = new Map<string, number>();
  for (let i = 0; i < n; i++) idx.set(spans[i].spanId, i);
  const children: number[][] = new Array(n);
  for (let i = 0; i < n; i++) children[i] = [];
  const roots: number[] = [];
  const parent = new Array<number>(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const ps = spans[i].parentSpanId;
    const p = ps ? idx.get(ps) : undefined;
    if (p === undefined || p === i) roots.push(i);
    else {
      children[p].push(i);
      parent[i] = p;
    }
  }
  // Times are nanosecond offsets from the trace's base: plain numbers, exact (below 2^53 ns).
  let min = Infinity;
  for (let i = 0; i < n; i++) min = Math.min(min, spans[i].start);
  if (n === 0) min = 0;
  const offsetMs = new Array<number>(n);
  let maxOff = 0;
  for (let i = 0; i < n; i++) {
    const s = spans[i];
    offsetMs[i] = (s.start - min) / 1e6;
    maxOff = Math.max(maxOff, (s.end - min) / 1e6, offsetMs[i] + durationMs(s));
  }
  const totalMs = Math.max(maxOff, 0.001);
  const depth = new Array<number>(n).fill(0);
  const stack = [...roots];
  while (stack.length) {
    const i = stack.pop()!;
    for (const c of children[i]) {
      depth[c] = depth[i] + 1;
      stack.push(c);
    }
  }
  return { trace, spans, children, roots, depth, parent, offsetMs, totalMs };
}

/** The visible rows (pre-order) given the set of collapsed span indexes. */
export function flatten(t: TreeModel, collapsed: Set<number>): number[] {
  const out: number[] = [];
  const stack = [...t.roots].reverse();
  while (stack.length) {
    const i = stack.pop()!;
    out.push(i);
    if (!collapsed.has(i)) {
      const ch = t.children[i];
      for (let k = ch.length - 1; k >= 0; k--) stack.push(ch[k]);
    }
  }
  return out;
}

const ROW = 26;
const OVERSCAN = 12;

interface Props {
  tree: TreeModel;
  rows: number[];
  selected: number;
  collapsed: Set<number>;
  onSelect: (i: number) => void;
  onToggle: (i: number) => void;
}

function ticks(totalMs: number): number[] {
  const raw = totalMs / 5;
  const pow = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = 0; t <= totalMs + 1e-9; t += step) out.push(t);
  return out;
}

/** A virtualised tree + waterfall: only the rows in view (plus a margin) are in the DOM. */
export function SpanTree({ tree, rows, selected, collapsed, onSelect, onToggle }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    // The viewport bounds the rows rendered even if a layout bug lets the scroller grow.
    const measure = () => setHeight(Math.min(el.clientHeight, window.innerHeight));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // Keep the selected row in view when it moves by keyboard.
  useEffect(() => {
    const el = ref.current;
    const pos = rows.indexOf(selected);
    if (!el || pos < 0) return;
    const top = pos * ROW;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW - el.clientHeight;
  }, [selected, rows]);

  const first = Math.max(0, Math.floor(scrollTop / ROW) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW) + OVERSCAN);
  const total = tree.totalMs;
  const tk = ticks(total);

  return (
    <div class="span-tree" data-testid="span-tree">
      <div class="tree-header">
        <div class="tree-name-col">
          Span <span class="muted small">({rows.length.toLocaleString()} shown of {tree.spans.length.toLocaleString()})</span>
        </div>
        <div class="tree-bar-col axis">
          {tk.map((t) => (
            <span key={t} class="tick" style={{ left: `${(t / total) * 100}%` }}>
              {fmtDuration(t)}
            </span>
          ))}
        </div>
      </div>
      <div class="tree-scroll" ref={ref} onScroll={(e) => setScrollTop((e.target as HTMLDivElement).scrollTop)} role="tree" aria-label="Spans">
        <div class="tree-inner" style={{ height: `${rows.length * ROW}px` }}>
          {rows.slice(first, last).map((i, k) => {
            const s = tree.spans[i];
            const pos = first + k;
            const hasKids = tree.children[i].length > 0;
            const isErr = s.status?.code === "error";
            const dur = durationMs(s);
            const left = (tree.offsetMs[i] / total) * 100;
            const width = Math.max((dur / total) * 100, 0.15);
            const gen = s.generation;
            return (
              <div
                key={i}
                class={"tree-row" + (i === selected ? " selected" : "") + (isErr ? " error" : "")}
                style={{ top: `${pos * ROW}px` }}
                role="treeitem"
                aria-selected={i === selected}
                aria-expanded={hasKids ? !collapsed.has(i) : undefined}
                aria-level={tree.depth[i] + 1}
                data-span-id={s.spanId}
                onClick={() => onSelect(i)}
              >
                <div class="tree-name-col" style={{ paddingLeft: `${Math.min(tree.depth[i], 40) * 14 + 4}px` }}>
                  {hasKids ? (
                    <button
                      type="button"
                      class="twisty"
                      aria-label={collapsed.has(i) ? "Expand" : "Collapse"}
                      onClick={(e) => {
                        e.stopPropagation();
                        onToggle(i);
                      }}
                    >
                      {collapsed.has(i) ? "▸" : "▾"}
                    </button>
                  ) : (
                    <span class="twisty-space" />
                  )}
                  {isErr && (
                    <span class="err-dot" title="error">
                      !
                    </span>
                  )}
                  {gen && <span class={"kind-badge " + (gen.operation === "execute_tool" ? "tool" : "gen")}>{gen.operation === "execute_tool" ? "tool" : "AI"}</span>}
                  <span class="span-name">{s.name}</span>
                  <span class="span-svc muted small">{serviceOf(tree.trace, s)}</span>
                </div>
                <div class="tree-bar-col">
                  <div class={"bar" + (isErr ? " error" : gen ? " gen" : "")} style={{ left: `${left}%`, width: `${width}%` }} />
                  <span class="bar-label small" style={left > 70 ? { right: `${100 - left + 0.5}%` } : { left: `${Math.min(left + width, 100)}%` }}>
                    {fmtDuration(dur)}
                  </span>
                </div>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
