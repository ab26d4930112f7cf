import { useEffect, useRef, useState } from 'react';
import { api, currentCsrfToken, ApiError } from '../api/client';
import { useApi, useServerEvents } from '../components/useApi';
import { Badge, Card, EmptyState, ErrorBox, Loading, PageHeader } from '../components/ui';
import { icons } from '../components/Icons';
import { formatBytes, formatDate, plural } from '../components/format';

interface Activity {
  id: string;
  kind: 'import' | 'export';
  source: 'cli' | 'api' | 'drop-folder';
  label: string;
  state: 'running' | 'done' | 'failed';
  phase: string;
  bytesDone: number;
  bytesTotal: number | null;
  startedAt: number;
  finishedAt: number | null;
  report: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
}
interface Preview { images: { repository: string; tag: string }[]; manifests: number; blobs: number; blobsIncluded: number; blobBytes: number; includedBytes: number }

const sourceName = { cli: 'command line', api: 'GUI / API', 'drop-folder': 'drop folder' } as const;
const baseName = (label: string) => label.split(/[\\/]/).pop() ?? label;

export function TransferPage() {
  const activity = useApi<{ items: Activity[] }>('/transfer/activity');
  const [live, setLive] = useState<Record<string, Partial<Activity>>>({});
  useServerEvents(['transfer.activity'], (_t, data) => {
    const a = data as Activity;
    setLive((l) => ({ ...l, [a.id]: a }));
    if (a.state !== 'running' || !activity.data?.items.some((x) => x.id === a.id)) activity.reload();
  });
  const items = (activity.data?.items ?? []).map((a) => ({ ...a, ...(a.state === 'running' ? live[a.id] : undefined) }) as Activity);
  return (
    <>
      <PageHeader title="Offline transfer" subtitle="Carry images across an air gap: export a bundle here, import it at the other site by upload or by dropping it into the watched folder." />
      <div className="grid-2">
        <ExportCard exports={items.filter((a) => a.kind === 'export' && a.state === 'done')} />
        <ImportCard onDone={activity.reload} />
      </div>
      <Card title="Activity">
        {activity.error && <ErrorBox error={activity.error} onRetry={activity.reload} />}
        {!activity.data && activity.loading && <Loading />}
        {activity.data && items.length === 0 && (
          <EmptyState title="No imports or exports yet" icon={icons.transfer}>
            <p>Bundles copied into the drop folder (<span className="mono">import/</span> in the data folder unless configured otherwise) are imported on their own and show up here, as do uploads and downloads.</p>
          </EmptyState>
        )}
        {items.length > 0 && (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">What</th>
                <th scope="col">From</th>
                <th scope="col">Progress</th>
                <th scope="col">Result</th>
                <th scope="col">When</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id}>
                  <td className="strong">{a.kind === 'import' ? 'Import' : 'Export'} <span className="mono small">{baseName(a.label)}</span></td>
                  <td className="small">{sourceName[a.source]}</td>
                  <td>
                    {a.state === 'running' ? <Bar done={a.bytesDone} total={a.bytesTotal} label={`${a.kind} ${baseName(a.label)}`} phase={a.phase} /> : <Badge tone={a.state === 'done' ? 'green' : 'red'}>{a.state === 'done' ? 'done' : 'failed'}</Badge>}
                  </td>
                  <td className="small">{a.error ? <span className="error-text">{a.error.code}: {a.error.message}</span> : resultText(a)}</td>
                  <td className="small">{formatDate(a.startedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}

function resultText(a: Activity): string {
  const r = a.report as { images?: string[]; noop?: boolean; bytesAdded?: number; bytesIncluded?: number } | null;
  if (!r) return '';
  const images = r.images ?? [];
  const shown = images.slice(0, 3).join(', ') + (images.length > 3 ? ` +${images.length - 3}` : '');
  if (a.kind === 'export') return `${plural(images.length, 'image')} (${formatBytes(r.bytesIncluded ?? 0)}): ${shown}`;
  return r.noop ? `already here: ${shown}` : `${plural(images.length, 'image')}, ${formatBytes(r.bytesAdded ?? 0)} new: ${shown}`;
}

function Bar({ done, total, label, phase }: { done: number; total: number | null | undefined; label: string; phase?: string }) {
  const pct = total ? Math.min(100, (100 * done) / total) : undefined;
  return (
    <div>
      <div className="meter" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct === undefined ? undefined : Math.round(pct)}>
        <div className="meter-fill" style={{ width: `${pct ?? 15}%` }} />
      </div>
      <span className="small muted">
        {phase ? `${phase} · ` : ''}
        {formatBytes(done)}
        {total ? ` of ${formatBytes(total)}` : ''}
      </span>
    </div>
  );
}

function ExportCard({ exports }: { exports: Activity[] }) {
  const repos = useApi<{ items: { name: string; tagCount: number }[] }>('/repositories?limit=500');
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [tags, setTags] = useState('');
  const [mode, setMode] = useState<'full' | 'since'>('full');
  const [since, setSince] = useState('');
  const [compression, setCompression] = useState<'none' | 'gzip' | 'zstd'>('gzip');
  const [preview, setPreview] = useState<{ p?: Preview; error?: string }>({});

  const selection = {
    repositories: [...chosen].sort(),
    tags: tags.split(',').map((t) => t.trim()).filter(Boolean),
    ...(mode === 'since' && since ? { since: new Date(since).toISOString() } : {}),
    compression,
  };
  const key = JSON.stringify(selection);
  useEffect(() => {
    if (chosen.size === 0) {
      setPreview({});
      return;
    }
    let cancelled = false;
    const t = window.setTimeout(() => {
      api<Preview>('POST', '/transfer/export/preview', JSON.parse(key)).then(
        (p) => !cancelled && setPreview({ p }),
        (e: unknown) => !cancelled && setPreview({ error: (e as ApiError).message }),
      );
    }, 300);
    return () => {
      cancelled = true;
      window.clearTimeout(t);
    };
  }, [key]);

  const q = new URLSearchParams();
  for (const r of selection.repositories) q.append('repository', r);
  for (const t of selection.tags) q.append('tag', t);
  if (selection.since) q.set('since', selection.since);
  q.set('compression', compression);
  const toggle = (name: string) => setChosen((s) => {
    const n = new Set(s);
    if (n.has(name)) n.delete(name);
    else n.add(name);
    return n;
  });
  const ready = chosen.size > 0 && preview.p && preview.p.images.length > 0;
  return (
    <Card title="Export a bundle">
      <fieldset className="field">
        <legend>1. Repositories</legend>
        {repos.error && <ErrorBox error={repos.error} onRetry={repos.reload} />}
        {repos.data && repos.data.items.length === 0 && <p className="muted small">Nothing to export yet: push or import images first.</p>}
        <div className="check-list">
          {repos.data?.items.map((r) => (
            <label key={r.name} className="switch">
              <input type="checkbox" checked={chosen.has(r.name)} onChange={() => toggle(r.name)} /> <span className="mono">{r.name}</span> <span className="small muted">{plural(r.tagCount, 'tag')}</span>
            </label>
          ))}
        </div>
      </fieldset>
      <div className="field">
        <label htmlFor="export-tags">2. Tags (globs, comma-separated; empty = all)</label>
        <input id="export-tags" value={tags} onChange={(e) => setTags(e.target.value)} placeholder="1.*, latest" />
      </div>
      <fieldset className="field">
        <legend>3. Full or incremental</legend>
        <label className="switch"><input type="radio" name="export-mode" checked={mode === 'full'} onChange={() => setMode('full')} /> Everything selected (full bundle)</label>
        <label className="switch"><input type="radio" name="export-mode" checked={mode === 'since'} onChange={() => setMode('since')} /> Only blobs stored since a previous bundle</label>
        {mode === 'since' && (
          <div className="form-inline">
            <label htmlFor="export-since" className="sr-only">Since</label>
            <input id="export-since" type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />
            {exports.length > 0 && (
              <select aria-label="Date of a previous export" value="" onChange={(e) => e.target.value && setSince(toLocalInput(Number(e.target.value)))}>
                <option value="">…or the time of a previous export</option>
                {exports.map((a) => <option key={a.id} value={a.startedAt}>{formatDate(a.startedAt)} — {resultText(a).slice(0, 50)}</option>)}
              </select>
            )}
            <span className="field-error">Manifests and tags are always complete; blobs stored before this time are left out (the other site must have them).</span>
          </div>
        )}
      </fieldset>
      <div className="field">
        <label htmlFor="export-compression">4. Compression</label>
        <select id="export-compression" value={compression} onChange={(e) => setCompression(e.target.value as typeof compression)}>
          <option value="gzip">gzip (.tar.gz)</option>
          <option value="zstd">zstd (.tar.zst, needs zstd on this machine)</option>
          <option value="none">none (.tar)</option>
        </select>
      </div>
      <div aria-live="polite" className="export-summary">
        {preview.error && <p className="error-text small">{preview.error}</p>}
        {preview.p && (
          <p className="small">
            <strong>{plural(preview.p.images.length, 'image')}</strong>, {plural(preview.p.blobsIncluded, 'blob')} — {formatBytes(preview.p.includedBytes)} to write
            {preview.p.blobsIncluded < preview.p.blobs && ` (${preview.p.blobs - preview.p.blobsIncluded} blobs left out as already delivered)`}.
          </p>
        )}
      </div>
      {ready ? (
        <a className="btn btn-primary" href={`/api/v1/transfer/export?${q.toString()}`} download>
          Download bundle
        </a>
      ) : (
        <button type="button" className="btn btn-primary" disabled>
          Download bundle
        </button>
      )}
    </Card>
  );
}

function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function ImportCard({ onDone }: { onDone: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File>();
  const [repository, setRepository] = useState('');
  const [upload, setUpload] = useState<{ sent: number; total: number; phase: 'uploading' | 'importing' }>();
  const [result, setResult] = useState<{ ok: boolean; text: string }>();

  const start = () => {
    if (!file) return;
    setResult(undefined);
    const q = new URLSearchParams({ filename: file.name });
    if (repository.trim()) q.set('repository', repository.trim());
    // XMLHttpRequest, not fetch: it reports upload progress. The file is streamed, not read into memory.
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1/transfer/import?${q.toString()}`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    const csrf = currentCsrfToken();
    if (csrf) xhr.setRequestHeader('x-csrf-token', csrf);
    xhr.upload.onprogress = (e) => setUpload({ sent: e.loaded, total: e.total || file.size, phase: e.loaded >= (e.total || file.size) ? 'importing' : 'uploading' });
    xhr.upload.onload = () => setUpload((u) => ({ sent: file.size, total: file.size, ...u, phase: 'importing' }));
    xhr.onerror = () => {
      setUpload(undefined);
      setResult({ ok: false, text: 'The upload was interrupted. Check the connection and try again.' });
    };
    xhr.onload = () => {
      setUpload(undefined);
      let body: { reports?: { images: string[]; noop: boolean; bytesAdded: number }[]; error?: { message: string } } = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON: reported below */
      }
      if (xhr.status === 200 && body.reports) {
        const images = body.reports.flatMap((r) => r.images);
        const noop = body.reports.every((r) => r.noop);
        setResult({ ok: true, text: noop ? `Already here: ${images.join(', ')}. Nothing changed.` : `Imported ${plural(images.length, 'image')}: ${images.join(', ')}.` });
        setFile(undefined);
        if (input.current) input.current.value = '';
      } else {
        setResult({ ok: false, text: body.error?.message ?? `The import failed (${xhr.status}).` });
      }
      onDone();
    };
    setUpload({ sent: 0, total: file.size, phase: 'uploading' });
    xhr.send(file);
  };

  return (
    <Card title="Import a bundle">
      <p className="small muted pad">Berth bundles (whole or incremental), OCI image layouts (<span className="mono">oci-archive</span>) and <span className="mono">docker save</span> tars. Every byte is checked; an import completes or changes nothing.</p>
      <div className="field">
        <label htmlFor="import-file">File</label>
        <input id="import-file" ref={input} type="file" accept=".tar,.gz,.tgz,.zst,.tar.gz,.tar.zst,application/x-tar,application/gzip" onChange={(e) => setFile(e.target.files?.[0])} disabled={!!upload} />
      </div>
      <div className="field">
        <label htmlFor="import-repository">Repository (only for archives that name just a tag)</label>
        <input id="import-repository" value={repository} onChange={(e) => setRepository(e.target.value)} placeholder="optional, e.g. team/tool" disabled={!!upload} />
      </div>
      {upload && <Bar done={upload.sent} total={upload.total} label="Upload" phase={upload.phase === 'uploading' ? 'uploading' : 'checking and importing'} />}
      {result && <div className={`alert ${result.ok ? 'alert-ok' : 'alert-error'}`} role={result.ok ? 'status' : 'alert'}>{result.text}</div>}
      <button type="button" className="btn btn-primary" disabled={!file || !!upload} onClick={start}>
        {upload ? 'Importing…' : 'Upload and import'}
      </button>
    </Card>
  );
}
