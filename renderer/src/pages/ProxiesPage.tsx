import { useState, type FormEvent } from 'react';
import { api, seg, ApiError } from '../api/client';
import { useApi, useServerEvents } from '../components/useApi';
import { useSession } from '../app/session';
import { Link } from '../app/router';
import { Badge, Card, CopyField, EmptyState, ErrorBox, Loading, PageHeader } from '../components/ui';
import { DeleteAction } from '../components/DeleteAction';
import { icons } from '../components/Icons';
import { formatBytes } from '../components/format';
import { HealthBadge } from './RegistriesPage';

interface Proxy {
  project: string;
  registry: string;
  mirrorFor: string[];
  public: boolean;
  manifestMaxAgeSeconds: number;
  serveStaleOn404: boolean;
  cacheMaxBytes: number;
  ttlSeconds: number;
  source: 'file' | 'api';
  detached: boolean;
  cacheBytes: number;
  hits: number;
  misses: number;
  hitRate: number | null;
  servedBytes: number;
  upstream: { state: string; reason: string | null; offline: boolean };
}

const GB = 1e9;

export function ProxiesPage() {
  const list = useApi<{ items: Proxy[] }>('/proxies');
  const registries = useApi<{ items: { name: string }[] }>('/registries');
  const { system } = useSession();
  const [editing, setEditing] = useState<Proxy | 'new'>();
  const [message, setMessage] = useState<string>();
  useServerEvents(['proxy.cached', 'proxy.upstream', 'proxy.evicted'], () => list.reload());
  const noRegistries = registries.data && registries.data.items.length === 0;
  const setOffline = async (p: Proxy, offline: boolean) => {
    await api('PATCH', `/registries/${seg(p.registry)}`, { offline }).catch((e: ApiError) => setMessage(e.message));
    list.reload();
  };
  return (
    <>
      <PageHeader
        title="Proxy caches"
        subtitle="Pull-through projects: the first pull fetches from the upstream, later pulls are served from here — even when the link is down."
        actions={!editing && !noRegistries ? <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>New proxy cache</button> : undefined}
      />
      {message && <div className="alert alert-ok" role="status">{message}</div>}
      {editing && registries.data && (
        <ProxyForm
          initial={editing === 'new' ? undefined : editing}
          registries={registries.data.items.map((r) => r.name)}
          onCancel={() => setEditing(undefined)}
          onSaved={(p) => {
            setEditing(undefined);
            setMessage(`Saved ${p.project}.`);
            list.reload();
          }}
        />
      )}
      {list.error && <ErrorBox error={list.error} onRetry={list.reload} />}
      {!list.data && list.loading && <Loading />}
      {noRegistries && (
        <Card>
          <EmptyState title="Add an upstream registry first" icon={icons.proxy}>
            <p>A proxy cache serves images of another registry. <Link to="/registries">Add that registry</Link> (Docker Hub, GHCR, headquarters), then create the cache here.</p>
          </EmptyState>
        </Card>
      )}
      {list.data && list.data.items.length === 0 && !noRegistries && (
        <Card>
          <EmptyState title="No proxy caches yet" icon={icons.proxy}>
            <p>Choose <strong>New proxy cache</strong>, name the project (e.g. <span className="mono">hub</span>) and pick its upstream. Clients then pull <span className="mono">{system?.registryHost ?? 'berth'}/hub/library/alpine</span>.</p>
          </EmptyState>
        </Card>
      )}
      {list.data?.items.map((p) => {
        const capPct = p.cacheMaxBytes > 0 ? (100 * p.cacheBytes) / p.cacheMaxBytes : undefined;
        return (
          <Card
            key={p.project}
            title={<>{p.project} <span className="small muted">from {p.registry}</span> {p.detached ? <Badge>detached</Badge> : p.source === 'file' && <Badge tone="violet">from config</Badge>}</>}
            actions={
              <div className="btn-group">
                <button type="button" className="btn btn-small" disabled={p.source === 'file'} title={p.source === 'file' ? (p.detached ? 'detached: read-only until deleted' : 'defined in the config file: change it there') : undefined} onClick={() => setEditing(p)} aria-label={`Edit ${p.project}`}>Edit</button>
                {(p.source === 'api' || p.detached) && <DeleteAction small path={`/proxies/${seg(p.project)}`} label={`Delete proxy cache ${p.project}`} title={`Stop proxying ${p.project}?`} onDone={() => { setMessage(`${p.project} is no longer a proxy cache.`); list.reload(); }}>
                  <p>The project keeps the images cached so far as an ordinary project; nothing new is fetched.</p>
                </DeleteAction>}
              </div>
            }
          >
            <ul className="kv">
              <li>
                <span>Cache size</span>
                <strong>{formatBytes(p.cacheBytes)}{p.cacheMaxBytes > 0 && <span className="small muted"> of {formatBytes(p.cacheMaxBytes)}</span>}</strong>
                {capPct !== undefined && (
                  <div className="meter" role="meter" aria-label={`${p.project} cache used`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(capPct)}>
                    <div className={`meter-fill ${capPct > 90 ? 'meter-bad' : capPct > 75 ? 'meter-warn' : ''}`} style={{ width: `${Math.min(100, capPct)}%` }} />
                  </div>
                )}
              </li>
              <li><span>Hit rate (since start)</span><strong>{p.hitRate === null ? '—' : `${Math.round(p.hitRate * 100)} %`}</strong><span>{p.hits} hits · {p.misses} misses</span></li>
              <li><span>Served</span><strong>{formatBytes(p.servedBytes)}</strong></li>
              <li><span>Upstream</span><strong><HealthBadge state={p.upstream.state} reason={p.upstream.reason} /></strong></li>
              <li>
                <span>Offline switch</span>
                <label className="switch"><input type="checkbox" role="switch" checked={p.upstream.offline} onChange={(e) => setOffline(p, e.target.checked)} aria-label={`Serve ${p.project} from cache only`} /> {p.upstream.offline ? 'cache only' : 'online'}</label>
              </li>
            </ul>
            <p className="small muted pad">
              Tags are checked upstream at most every {p.manifestMaxAgeSeconds} s{p.ttlSeconds > 0 ? `; images not pulled for ${Math.round(p.ttlSeconds / 86400) || 1} d are evicted` : ''}{p.mirrorFor.length ? `; mirror for ${p.mirrorFor.join(', ')}` : ''}{p.public ? '; anonymous pulls allowed' : ''}.
            </p>
            <CopyField label={`pull-${p.project}`} value={`docker pull ${system?.registryHost ?? 'berth'}/${p.project}/library/alpine:latest`} />
          </Card>
        );
      })}
    </>
  );
}

function ProxyForm({ initial, registries, onCancel, onSaved }: { initial: Proxy | undefined; registries: string[]; onCancel: () => void; onSaved: (p: Proxy) => void }) {
  const [f, setF] = useState({
    project: initial?.project ?? '',
    registry: initial?.registry ?? registries[0] ?? '',
    capGb: initial?.cacheMaxBytes ? String(initial.cacheMaxBytes / GB) : '',
    ttlDays: initial?.ttlSeconds ? String(initial.ttlSeconds / 86400) : '',
    maxAge: String(initial?.manifestMaxAgeSeconds ?? 300),
    mirrorFor: initial?.mirrorFor.join(', ') ?? '',
    public: initial?.public ?? false,
    serveStaleOn404: initial?.serveStaleOn404 ?? false,
  });
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof typeof f>(k: K, v: (typeof f)[K]) => setF((x) => ({ ...x, [k]: v }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const body = {
      registry: f.registry,
      cacheMaxBytes: Math.round(Number(f.capGb || 0) * GB),
      ttlSeconds: Math.round(Number(f.ttlDays || 0) * 86400),
      manifestMaxAgeSeconds: Math.round(Number(f.maxAge || 0)),
      mirrorFor: f.mirrorFor.split(',').map((s) => s.trim()).filter(Boolean),
      public: f.public,
      serveStaleOn404: f.serveStaleOn404,
    };
    try {
      onSaved(initial ? await api<Proxy>('PATCH', `/proxies/${seg(initial.project)}`, body) : await api<Proxy>('POST', '/proxies', { project: f.project, ...body }));
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const fe = (k: string) => (error?.field === k ? error.message.replace(/^body [\w.]+: /, '') : undefined);
  return (
    <Card title={initial ? `Edit ${initial.project}` : 'New proxy cache'}>
      <form onSubmit={submit} className="form-grid" aria-label="Proxy cache">
        <div className="field">
          <label htmlFor="px-project">Project</label>
          <input id="px-project" required disabled={!!initial} value={f.project} onChange={(e) => set('project', e.target.value)} aria-invalid={!!fe('project')} autoComplete="off" />
          <span className="field-error">{fe('project') ?? 'clients pull <berth>/<project>/<path>'}</span>
        </div>
        <div className="field">
          <label htmlFor="px-registry">Upstream registry</label>
          <select id="px-registry" value={f.registry} onChange={(e) => set('registry', e.target.value)}>
            {registries.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
          <span className="field-error">{fe('registry')}</span>
        </div>
        <div className="field">
          <label htmlFor="px-cap">Cache cap (GB)</label>
          <input id="px-cap" type="number" min="0" step="any" value={f.capGb} onChange={(e) => set('capGb', e.target.value)} placeholder="no cap" />
          <span className="field-error">{fe('cacheMaxBytes') ?? 'least recently pulled images go first'}</span>
        </div>
        <div className="field">
          <label htmlFor="px-ttl">Evict after (days unused)</label>
          <input id="px-ttl" type="number" min="0" step="any" value={f.ttlDays} onChange={(e) => set('ttlDays', e.target.value)} placeholder="keep" />
          <span className="field-error">{fe('ttlSeconds')}</span>
        </div>
        <div className="field">
          <label htmlFor="px-maxage">Check tags upstream every (s)</label>
          <input id="px-maxage" type="number" min="0" value={f.maxAge} onChange={(e) => set('maxAge', e.target.value)} />
          <span className="field-error">{fe('manifestMaxAgeSeconds')}</span>
        </div>
        <div className="field">
          <label htmlFor="px-mirror">Mirror for (optional)</label>
          <input id="px-mirror" value={f.mirrorFor} onChange={(e) => set('mirrorFor', e.target.value)} placeholder="docker.io" />
          <span className="field-error">{fe('mirrorFor') ?? 'route containerd / dockerd mirror pulls here'}</span>
        </div>
        <fieldset className="field checks">
          <legend>Options</legend>
          <label className="switch"><input type="checkbox" checked={f.public} onChange={(e) => set('public', e.target.checked)} /> Allow anonymous pulls</label>
          <label className="switch"><input type="checkbox" checked={f.serveStaleOn404} onChange={(e) => set('serveStaleOn404', e.target.checked)} /> Keep serving images deleted upstream</label>
        </fieldset>
        <div className="span-all form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Saving…' : initial ? 'Save' : 'Create proxy cache'}</button>
          <button type="button" className="btn" onClick={onCancel}>Cancel</button>
        </div>
      </form>
      {error && !fe(error.field ?? '') && <div className="alert alert-error" role="alert">{error.message}</div>}
    </Card>
  );
}
