import { useState } from "preact/hooks";

/** An id (trace, span, session) shown as text with a button that copies it. */
export function CopyId({ value, label }: { value: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async (e: Event) => {
    e.preventDefault();
    e.stopPropagation();
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      // Clipboard API needs a secure context; fall back to a selection-based copy.
      const ta = document.createElement("textarea");
      ta.value = value;
      document.body.appendChild(ta);
      ta.select();
      document.execCommand("copy");
      ta.remove();
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1200);
  };
  return (
    <span class="copy-id">
      {label && <span class="muted">{label} </span>}
      <code>{value}</code>
      <button type="button" class="icon-btn" title={"Copy " + (label ?? "id")} aria-label={"Copy " + (label ?? "id")} onClick={copy} data-copy={value}>
        {copied ? "✓" : "⧉"}
      </button>
    </span>
  );
}
