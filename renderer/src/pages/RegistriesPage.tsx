import { useState, type FormEvent } from 'react';
import { api, seg, ApiError } from '../api/client';
import { useApi, useServerEvents } from '../components/useApi';
import { Badge, Card, EmptyState, ErrorBox, Loading, PageHeader } from '../components/ui';
import { DeleteAction } from '../components/DeleteAction';
import { icons } from '../components/Icons';

export interface RemoteRegistry {
  name: string;
  url: string;
  type: string | null;
  insecure: boolean;
  offline: boolean;
  username: string | null;
  hasPassword: boolean;
  source: 'file' | 'api';
  detached: boolean;
  health: { state: string; reason: string | null };
}

export function HealthBadge({ state, reason }: { state: string; reason: string | null }) {
  const tone = state === 'offline' ? 'amber' : state === 'open' || state === 'down' ? 'red' : 'green';
  const text = state === 'offline' ? 'offline (cache only)' : state === 'open' || state === 'down' ? 'down' : state === 'half-open' ? 'probing' : 'up';
  return <span title={reason ?? undefined}><Badge tone={tone}>{text}</Badge></span>;
}

export function RegistriesPage() {
  const list = useApi<{ items: RemoteRegistry[] }>('/registries');
  const [editing, setEditing] = useState<RemoteRegistry | 'new'>();
  const [message, setMessage] = useState<string>();
  const [tests, setTests] = useState<Record<string, { ok: boolean; message: string; latencyMs: number } | 'testing'>>({});
  useServerEvents(['proxy.upstream'], () => list.reload());

  const test = async (name: string) => {
    setTests((t) => ({ ...t, [name]: 'testing' }));
    try {
      const r = await api<{ ok: boolean; message: string; latencyMs: number }>('POST', `/registries/${seg(name)}/test`);
      setTests((t) => ({ ...t, [name]: r }));
    } catch (e) {
      setTests((t) => ({ ...t, [name]: { ok: false, message: (e as ApiError).message, latencyMs: 0 } }));
    }
  };
  const setOffline = async (r: RemoteRegistry, offline: boolean) => {
    await api('PATCH', `/registries/${seg(r.name)}`, { offline }).catch((e: ApiError) => setMessage(e.message));
    list.reload();
  };

  return (
    <>
      <PageHeader
        title="Registries"
        subtitle="Remote registries Berth talks to: upstreams of proxy caches and peers of replication. Passwords go to the secret store, never to a file."
        actions={!editing ? <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>Add registry</button> : undefined}
      />
      {message && <div className="alert alert-ok" role="status">{message}</div>}
      {editing && (
        <RegistryForm
          initial={editing === 'new' ? undefined : editing}
          onCancel={() => setEditing(undefined)}
          onSaved={(r) => {
            setEditing(undefined);
            setMessage(`Saved ${r.name}.`);
            list.reload();
          }}
        />
      )}
      <Card title="Remote registries">
        {list.error && <ErrorBox error={list.error} onRetry={list.reload} />}
        {!list.data && list.loading && <Loading />}
        {list.data && list.data.items.length === 0 && (
          <EmptyState title="No remote registries yet" icon={icons.proxy}>
            <p>Add headquarters, Docker Hub (<span className="mono">docker.io</span>), GHCR or Quay here; then create a proxy cache or a replication rule that uses it.</p>
          </EmptyState>
        )}
        {list.data && list.data.items.length > 0 && (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Address</th>
                <th scope="col">Sign-in</th>
                <th scope="col">Health</th>
                <th scope="col">Offline</th>
                <th scope="col"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((r) => {
                const t = tests[r.name];
                return (
                  <tr key={r.name}>
                    <td className="strong">{r.name} {r.detached ? <Badge>detached</Badge> : r.source === 'file' && <Badge tone="violet">from config</Badge>}</td>
                    <td className="mono small">{r.url} {r.insecure && <Badge tone="amber">TLS not verified</Badge>}</td>
                    <td className="small">{r.username ? <>{r.username} {r.hasPassword ? <Badge tone="green">password stored</Badge> : <Badge tone="amber">no password</Badge>}</> : 'anonymous'}</td>
                    <td>
                      <HealthBadge {...r.health} />
                      {t && <div className={`small ${t !== 'testing' && !t.ok ? 'error-text' : 'muted'}`} role="status">{t === 'testing' ? 'Testing…' : `${t.ok ? '✓' : '✗'} ${t.message} (${t.latencyMs} ms)`}</div>}
                    </td>
                    <td>
                      <label className="switch"><input type="checkbox" role="switch" checked={r.offline} onChange={(e) => setOffline(r, e.target.checked)} aria-label={`${r.name} offline`} /> {r.offline ? 'on' : 'off'}</label>
                    </td>
                    <td className="actions">
                      <button type="button" className="btn btn-small" onClick={() => test(r.name)} aria-label={`Test connection to ${r.name}`}>Test</button>
                      <button type="button" className="btn btn-small" disabled={r.source === 'file'} title={r.source === 'file' ? (r.detached ? 'detached: read-only until deleted' : 'defined in the config file: change it there') : undefined} onClick={() => setEditing(r)} aria-label={`Edit ${r.name}`}>Edit</button>
                      {(r.source === 'api' || r.detached) && <DeleteAction small path={`/registries/${seg(r.name)}`} label={`Delete registry ${r.name}`} title={`Delete ${r.name}?`} onDone={() => { setMessage(`Deleted ${r.name}.`); list.reload(); }}>
                        <p>Its stored password is removed too. Refused while a proxy cache or a replication rule uses it.</p>
                      </DeleteAction>}
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

function RegistryForm({ initial, onCancel, onSaved }: { initial: RemoteRegistry | undefined; onCancel: () => void; onSaved: (r: RemoteRegistry) => void }) {
  const [f, setF] = useState({ name: initial?.name ?? '', url: initial?.url ?? '', type: initial?.type ?? '', username: initial?.username ?? '', password: '', insecure: initial?.insecure ?? false });
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof typeof f>(k: K, v: (typeof f)[K]) => setF((x) => ({ ...x, [k]: v }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const body: Record<string, unknown> = { url: f.url.trim(), insecure: f.insecure };
    if (f.type) body.type = f.type;
    if (f.username.trim()) body.username = f.username.trim();
    if (f.password) body.password = f.password;
    try {
      const r = initial ? await api<RemoteRegistry>('PATCH', `/registries/${seg(initial.name)}`, body) : await api<RemoteRegistry>('POST', '/registries', { name: f.name, ...body });
      onSaved(r);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const fe = (k: string) => (error?.field === k ? error.message.replace(/^body [\w.]+: /, '') : undefined);
  return (
    <Card title={initial ? `Edit ${initial.name}` : 'Add a remote registry'}>
      <form onSubmit={submit} className="form-grid" aria-label="Remote registry">
        <div className="field">
          <label htmlFor="reg-name">Name</label>
          <input id="reg-name" required disabled={!!initial} value={f.name} onChange={(e) => set('name', e.target.value)} aria-invalid={!!fe('name')} autoComplete="off" />
          <span className="field-error">{fe('name') ?? 'e.g. hq or docker-hub'}</span>
        </div>
        <div className="field">
          <label htmlFor="reg-url">Address</label>
          <input id="reg-url" required value={f.url} onChange={(e) => set('url', e.target.value)} aria-invalid={!!fe('url')} placeholder="https://registry.example.com" />
          <span className="field-error">{fe('url') ?? 'https unless written http://; docker.io for Docker Hub'}</span>
        </div>
        <div className="field">
          <label htmlFor="reg-type">Kind</label>
          <select id="reg-type" value={f.type} onChange={(e) => set('type', e.target.value)}>
            <option value="">from the address</option>
            {['distribution', 'dockerhub', 'harbor', 'ghcr', 'quay', 'berth'].map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
          <span className="field-error" />
        </div>
        <div className="field">
          <label htmlFor="reg-username">User (optional)</label>
          <input id="reg-username" value={f.username} onChange={(e) => set('username', e.target.value)} autoComplete="off" />
          <span className="field-error" />
        </div>
        <div className="field">
          <label htmlFor="reg-password">Password or token</label>
          <input id="reg-password" type="password" value={f.password} onChange={(e) => set('password', e.target.value)} autoComplete="new-password" placeholder={initial?.hasPassword ? 'stored; type to replace' : ''} />
          <span className="field-error">kept in the secret store</span>
        </div>
        <fieldset className="field checks">
          <legend>Options</legend>
          <label className="switch"><input type="checkbox" checked={f.insecure} onChange={(e) => set('insecure', e.target.checked)} /> Skip TLS verification / allow plain HTTP</label>
        </fieldset>
        <div className="span-all form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Saving…' : initial ? 'Save' : 'Add registry'}</button>
          <button type="button" className="btn" onClick={onCancel}>Cancel</button>
        </div>
      </form>
      {error && !fe(error.field ?? '') && <div className="alert alert-error" role="alert">{error.message}</div>}
    </Card>
  );
}
