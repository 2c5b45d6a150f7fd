import { fmtValue } from "../format";

/** An attribute map as a two-column table; keys sorted, values as text. */
export function KeyValues({ data, empty = "none" }: { data?: Record<string, unknown> | null; empty?: string }) {
  const keys = data ? Object.keys(data).sort() : [];
  if (!keys.length) return <p class="muted small">{empty}</p>;
  return (
    <table class="kv">
      <tbody>
        {keys.map((k) => (
          <tr key={k}>
            <th title={k}>{k}</th>
            <td>
              <span class="pre-wrap">{fmtValue(data![k])}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
