import { useState } from 'react';
import type { AllowlistEntry } from '../api/security';
import { Badge } from './ui';
import { icons } from './Icons';

/** The end of a local calendar day (an entry "until 2026-03-31" still allows on the 31st). */
export function endOfDay(isoDate: string): number {
  return new Date(`${isoDate}T23:59:59.999`).getTime();
}

const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

/**
 * A CVE allowlist being edited: ids (CVE, GHSA or a distribution's advisory id; aliases match too) with an
 * optional expiry date. The owner saves the list; expired entries are shown so they can be removed.
 */
export function AllowlistEditor({ entries, onChange, disabled, idPrefix }: { entries: AllowlistEntry[]; onChange: (e: AllowlistEntry[]) => void; disabled?: boolean; idPrefix: string }) {
  const [id, setId] = useState('');
  const [until, setUntil] = useState('');
  const [error, setError] = useState<string>();
  const now = Date.now();

  const add = (e: { preventDefault(): void }) => {
    e.preventDefault();
    const v = id.trim();
    if (!v) return setError('Enter a vulnerability id, e.g. CVE-2024-5535.');
    if (v.length > 100 || /\s/.test(v)) return setError('An id is one word of at most 100 characters.');
    if (entries.some((x) => x.id.toLowerCase() === v.toLowerCase())) return setError(`${v} is already on the list.`);
    if (until && endOfDay(until) <= now) return setError('The expiry date is in the past.');
    onChange([...entries, until ? { id: v, expiresAt: endOfDay(until) } : { id: v }]);
    setId('');
    setUntil('');
    setError(undefined);
  };

  return (
    <div className="allowlist">
      {entries.length === 0 ? (
        <p className="muted pad">The list is empty: every finding counts.</p>
      ) : (
        <table className="table compact" aria-label="Allowlist entries">
          <thead>
            <tr>
              <th scope="col">Vulnerability</th>
              <th scope="col">Allowed until</th>
              {!disabled && (
                <th scope="col">
                  <span className="sr-only">Remove</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {entries.map((x) => (
              <tr key={x.id}>
                <td className="mono strong">{x.id}</td>
                <td>
                  {x.expiresAt === undefined ? <span className="muted">no expiry</span> : new Date(x.expiresAt).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' })}{' '}
                  {x.expiresAt !== undefined && x.expiresAt <= now && <Badge tone="red">expired</Badge>}
                </td>
                {!disabled && (
                  <td className="actions">
                    <button type="button" className="btn btn-small btn-danger-ghost" aria-label={`Remove ${x.id}`} onClick={() => onChange(entries.filter((y) => y !== x))}>
                      {icons.trash}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!disabled && (
        // A div, not a nested form: the editor sits inside its owner's form. Enter in the id field adds.
        <div className="form-inline allowlist-add">
          <label htmlFor={`${idPrefix}-id`} className="sr-only">
            Vulnerability id to allow
          </label>
          <input
            id={`${idPrefix}-id`}
            placeholder="CVE-2024-5535"
            value={id}
            aria-invalid={error ? 'true' : undefined}
            onChange={(e) => setId(e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && add(e)}
          />
          <label htmlFor={`${idPrefix}-until`}>until</label>
          <input id={`${idPrefix}-until`} type="date" min={today()} value={until} onChange={(e) => setUntil(e.target.value)} />
          <button type="button" className="btn btn-small" onClick={add}>
            Add to allowlist
          </button>
          <span className="muted small">Leave the date empty for no expiry.</span>
          {error && (
            <div className="field-error error-text" role="alert">
              {error}
            </div>
          )}
        </div>
      )}
    </div>
  );
}
