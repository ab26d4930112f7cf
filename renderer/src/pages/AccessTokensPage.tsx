import { useState, type FormEvent } from 'react';
import type { AccessToken } from '../api/types';
import { api, ApiError } from '../api/client';
import { useApi } from '../components/useApi';
import { useSession } from '../app/session';
import { Badge, Card, CopyField, EmptyState, ErrorBox, Loading, PageHeader } from '../components/ui';
import { DeleteAction } from '../components/DeleteAction';
import { formatDate, timeAgo } from '../components/format';

const expiries: { days: number | null; label: string }[] = [
  { days: 7, label: '7 days' },
  { days: 30, label: '30 days' },
  { days: 90, label: '90 days' },
  { days: 365, label: '1 year' },
  { days: null, label: 'Never' },
];

/** Your personal access tokens: passwords for scripts, CI and docker login that you can name, expire and revoke. */
export function AccessTokensPage() {
  const tokens = useApi<{ items: AccessToken[] }>('/me/tokens');
  const { user, system } = useSession();
  const [created, setCreated] = useState<AccessToken & { token: string }>();
  const [message, setMessage] = useState<string>();
  const host = system?.registryHost ?? location.host;
  const now = Date.now();
  return (
    <>
      <PageHeader title="Access tokens" subtitle="Tokens for scripts, CI and docker login: use one instead of your password. Each can be revoked on its own." />
      <CreateToken
        onCreated={(t) => {
          setCreated(t);
          setMessage(undefined);
          tokens.reload();
        }}
      />
      {created && (
        <Card title={`Token “${created.name}” created`}>
          <div className="alert alert-ok" role="status">
            Copy it now: Berth keeps only a hash and cannot show it again.
          </div>
          <div className="pad-x">
            <CopyField label="New access token" value={created.token} />
            <CopyField label="docker login" value={`echo '${created.token}' | docker login ${host} -u ${user.username} --password-stdin`} />
          </div>
        </Card>
      )}
      {message && (
        <div className="alert alert-ok" role="status">
          {message}
        </div>
      )}
      <Card title="Your tokens">
        {tokens.error && <ErrorBox error={tokens.error} onRetry={tokens.reload} />}
        {!tokens.data && tokens.loading && <Loading />}
        {tokens.data && tokens.data.items.length === 0 && (
          <EmptyState title="No access tokens yet">
            Create one above for each script or pipeline, so you can revoke one without changing your password everywhere.
          </EmptyState>
        )}
        {tokens.data && tokens.data.items.length > 0 && (
          <table className="table" aria-label="Access tokens">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.items.map((t) => {
                const expired = t.expiresAt !== null && t.expiresAt <= now;
                return (
                  <tr key={t.id} className={expired ? 'row-disabled' : undefined}>
                    <td className="strong">{t.name}</td>
                    <td>{formatDate(t.createdAt)}</td>
                    <td>{t.lastUsedAt ? timeAgo(t.lastUsedAt) : <span className="muted">never</span>}</td>
                    <td>{t.expiresAt === null ? <Badge tone="amber">never</Badge> : expired ? <Badge tone="red">expired</Badge> : formatDate(t.expiresAt)}</td>
                    <td className="actions">
                      <DeleteAction small path={`/me/tokens/${t.id}`} label={`Revoke token ${t.name}`} title={`Revoke “${t.name}”?`} onDone={() => { setMessage(`Revoked ${t.name}.`); if (created?.id === t.id) setCreated(undefined); tokens.reload(); }}>
                        <p>Scripts and logins using <strong>{t.name}</strong> stop working at once.</p>
                      </DeleteAction>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}

function CreateToken({ onCreated }: { onCreated: (t: AccessToken & { token: string }) => void }) {
  const [name, setName] = useState('');
  const [days, setDays] = useState<string>('90');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const t = await api<AccessToken & { token: string }>('POST', '/me/tokens', { name, expiresInDays: days === 'never' ? null : Number(days) });
      setName('');
      onCreated(t);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (f: string) => (error?.field === f ? error.message.replace(/^body \w+: /, '') : undefined);
  return (
    <Card title="Create a token">
      <form className="form-row" onSubmit={submit}>
        <div className="field">
          <label htmlFor="token-name">Name</label>
          <input id="token-name" required maxLength={64} placeholder="e.g. build server" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={!!fieldError('name')} aria-describedby="token-name-err" autoComplete="off" />
          <span id="token-name-err" className="field-error">{fieldError('name')}</span>
        </div>
        <div className="field">
          <label htmlFor="token-expiry">Expires after</label>
          <select id="token-expiry" value={days} onChange={(e) => setDays(e.target.value)}>
            {expiries.map((x) => (
              <option key={x.label} value={x.days === null ? 'never' : String(x.days)}>
                {x.label}
              </option>
            ))}
          </select>
          <span className="field-error" />
        </div>
        <div className="field field-button">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create token'}
          </button>
          <span className="field-error" />
        </div>
      </form>
      {error && !error.field && (
        <div className="alert alert-error" role="alert">
          {error.message}
        </div>
      )}
    </Card>
  );
}
