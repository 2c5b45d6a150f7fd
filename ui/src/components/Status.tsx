import type { ApiError } from "../api";

export function ErrorBox({ error }: { error: Error | ApiError }) {
  return (
    <div class="error-box" role="alert">
      <strong>Could not load: </strong>
      {error.message}
    </div>
  );
}

export function Loading() {
  return <div class="loading muted">Loading…</div>;
}

/** A session's outcome: the app's session.success attribute, or a dash when it never set one. */
export function Outcome({ success }: { success: boolean | null | undefined }) {
  if (success === true) return <span class="pill ok">success</span>;
  if (success === false) return <span class="pill err">failed</span>;
  return (
    <span class="muted" title="The application did not set the session.success attribute">
      –
    </span>
  );
}
