import { useEffect, useState } from 'react';
import type { AuditEntry } from '../api/types';
import { get, ApiError } from '../api/client';
import { useServerEvents } from '../components/useApi';
import { Card, EmptyState, ErrorBox, Loading, PageHeader } from '../components/ui';
import { ActivityList } from '../components/ActivityList';
import { icons } from '../components/Icons';

const filters = [
  { id: '', label: 'Everything' },
  { id: 'manifest.', label: 'Pushes and deletions' },
  { id: 'tag.', label: 'Tag deletions' },
  { id: 'gc.', label: 'Garbage collection' },
];

export function ActivityPage() {
  const [filter, setFilter] = useState('');
  const [items, setItems] = useState<AuditEntry[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError>();
  const [live, setLive] = useState(0);

  const load = (before?: number) => {
    setLoading(true);
    const q = new URLSearchParams({ limit: '50' });
    if (filter) q.set('typePrefix', filter);
    if (before) q.set('before', String(before));
    get<{ items: AuditEntry[]; next: number | null }>(`/audit?${q}`).then(
      (r) => {
        setItems((old) => (before ? [...old, ...r.items] : r.items));
        setNext(r.next);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        setError(e as ApiError);
        setLoading(false);
      },
    );
  };
  useEffect(() => load(), [filter, live]);
  useServerEvents(['manifest.pushed', 'manifest.deleted', 'tag.deleted', 'gc.finished'], () => setLive((n) => n + 1));

  return (
    <>
      <PageHeader title="Activity" subtitle="The audit log: who pushed, deleted or collected what, and when. Updates live." />
      <Card
        actions={
          <div className="segmented" role="group" aria-label="Filter events">
            {filters.map((f) => (
              <button key={f.id} type="button" className={filter === f.id ? 'on' : ''} aria-pressed={filter === f.id} onClick={() => setFilter(f.id)}>
                {f.label}
              </button>
            ))}
          </div>
        }
        title="Events"
      >
        {error && <ErrorBox error={error} onRetry={() => load()} />}
        {items.length === 0 && loading && <Loading />}
        {items.length === 0 && !loading && !error && (
          <EmptyState title="No activity yet" icon={icons.activity}>
            <p>Pushes, deletions and garbage collections are recorded here as they happen.</p>
          </EmptyState>
        )}
        {items.length > 0 && <ActivityList items={items} />}
        {next !== null && (
          <div className="pager">
            <button type="button" className="btn btn-small" disabled={loading} onClick={() => load(next)}>
              {loading ? 'Loading…' : 'Load older events'}
            </button>
          </div>
        )}
      </Card>
    </>
  );
}
