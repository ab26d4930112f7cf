import { useEffect, useState } from 'react';
import type { RepositorySummary, SystemInfo } from '../api/types';
import { useApi } from '../components/useApi';
import { Link, useRouter } from '../app/router';
import { Card, EmptyState, ErrorBox, Loading, PageHeader } from '../components/ui';
import { formatBytes, formatDate, timeAgo } from '../components/format';
import { icons } from '../components/Icons';

const PAGE = 50;

export function RepositoriesPage() {
  const { path, navigate } = useRouter();
  const params = new URLSearchParams(path.split('?')[1] ?? '');
  const q = params.get('q') ?? '';
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  const list = useApi<{ items: RepositorySummary[]; total: number }>(`/repositories?q=${encodeURIComponent(q)}&limit=${PAGE}&offset=${offset}`);
  const system = useApi<SystemInfo>('/system');

  const go = (nq: string, noffset: number) => {
    const sp = new URLSearchParams();
    if (nq) sp.set('q', nq);
    if (noffset) sp.set('offset', String(noffset));
    navigate(`/repositories${sp.size ? `?${sp}` : ''}`);
  };

  return (
    <>
      <PageHeader title="Repositories" subtitle="Everything pushed to this registry, by repository." />
      <Card>
        <form
          className="toolbar"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            go(text.trim(), 0);
          }}
        >
          <label htmlFor="repo-filter" className="sr-only">
            Filter repositories
          </label>
          <div className="search">
            {icons.search}
            <input id="repo-filter" type="search" placeholder="Filter by name…" value={text} onChange={(e) => setText(e.target.value)} />
          </div>
          <button type="submit" className="btn">
            Filter
          </button>
          {list.data && <span className="muted">{list.data.total.toLocaleString()} total</span>}
        </form>
        {list.error && <ErrorBox error={list.error} onRetry={list.reload} />}
        {!list.data && list.loading && <Loading />}
        {list.data && list.data.items.length === 0 && (
          q ? (
            <EmptyState title={`No repository matches “${q}”`}>
              <button type="button" className="btn" onClick={() => go('', 0)}>
                Clear the filter
              </button>
            </EmptyState>
          ) : (
            <EmptyState title="No repositories yet" icon={icons.repositories}>
              <p>Repositories appear here when an image is pushed. For example:</p>
              <pre className="code-block">{`docker push ${system.data?.registryHost ?? 'this-host:5000'}/library/myapp:1.0`}</pre>
            </EmptyState>
          )
        )}
        {list.data && list.data.items.length > 0 && (
          <table className="table table-hover">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" className="num">Tags</th>
                <th scope="col" className="num">Artifacts</th>
                <th scope="col" className="num">Size</th>
                <th scope="col">Last push</th>
                <th scope="col">Last pull</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((r) => (
                <tr key={r.name}>
                  <td>
                    <Link to={`/repositories/${r.name}`} className="strong">
                      {r.name}
                    </Link>
                  </td>
                  <td className="num">{r.tagCount}</td>
                  <td className="num">{r.manifestCount}</td>
                  <td className="num">{formatBytes(r.bytes)}</td>
                  <td title={formatDate(r.lastPushedAt)}>{timeAgo(r.lastPushedAt)}</td>
                  <td title={formatDate(r.lastPulledAt)}>{timeAgo(r.lastPulledAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {list.data && list.data.total > PAGE && (
          <div className="pager">
            <button type="button" className="btn btn-small" disabled={offset === 0} onClick={() => go(q, Math.max(0, offset - PAGE))}>
              Previous
            </button>
            <span className="muted">
              {offset + 1}–{Math.min(offset + PAGE, list.data.total)} of {list.data.total}
            </span>
            <button type="button" className="btn btn-small" disabled={offset + PAGE >= list.data.total} onClick={() => go(q, offset + PAGE)}>
              Next
            </button>
          </div>
        )}
      </Card>
    </>
  );
}
