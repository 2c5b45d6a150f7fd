import { useState } from "preact/hooks";

function CopyIcon() {
  return (
    <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true" class="icon">
      <rect x="5.5" y="5.5" width="8" height="8" rx="1.5" fill="none" stroke="currentColor" stroke-width="1.3" />
      <path d="M3.5 10.5h-.5a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1h6.5a1 1 0 0 1 1 1v.5" fill="none" stroke="currentColor" stroke-width="1.3" />
    </svg>
  );
}

function CheckIcon() {
  return (
    <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true" class="icon">
      <path d="M3 8.5l3 3 7-7" fill="none" stroke="currentColor" stroke-width="1.6" />
    </svg>
  );
}

/** A button that copies value to the clipboard. */
export function CopyButton({ value, label }: { value: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async (e: Event) => {
    e.preventDefault();
    e.stopPropagation();
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      // Clipboard API needs a secure context (http://127.0.0.1 is one, a LAN address is not):
      // fall back to a selection-based copy.
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
    <button
        type="button"
        class={"icon-btn copy-btn" + (copied ? " copied" : "")}
        title={copied ? "Copied" : "Copy " + (label || "value")}
        aria-label={"Copy " + (label || "value")}
        onClick={copy}
        data-copy={value}
      >
      {copied ? <CheckIcon /> : <CopyIcon />}
    </button>
  );
}

/** An id (trace, span, session) shown as text with a button that copies it. */
export function CopyId({ value, label }: { value: string; label?: string }) {
  return (
    <span class="copy-id">
      {label && <span class="muted">{label} </span>}
      <code>{value}</code>
      <CopyButton value={value} label={label} />
    </span>
  );
}
