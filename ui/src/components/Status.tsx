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
