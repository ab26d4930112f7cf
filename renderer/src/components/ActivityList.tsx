import type { AuditEntry } from '../api/types';
import { Link } from '../app/router';
import { formatBytes, formatDate, shortDigest, timeAgo } from './format';
import { Badge } from './ui';

const tones: Record<string, 'blue' | 'green' | 'amber' | 'red' | 'violet' | 'neutral'> = {
  'manifest.pushed': 'green',
  'manifest.deleted': 'red',
  'tag.deleted': 'amber',
  'blob.deleted': 'amber',
  'gc.finished': 'violet',
  'policy.changed': 'blue',
  'retention.finished': 'violet',
};

const labels: Record<string, string> = {
  'manifest.pushed': 'Pushed',
  'manifest.deleted': 'Deleted manifest',
  'tag.deleted': 'Deleted tag',
  'blob.deleted': 'Deleted blob',
  'gc.finished': 'Garbage collection',
  'policy.changed': 'Policy changed',
  'retention.finished': 'Tag retention',
};

function describe(e: AuditEntry) {
  const d = (e.detail ?? {}) as Record<string, unknown>;
  if (e.type === 'gc.finished') {
    return (
      <>
        {d.dryRun ? 'Dry run: would free ' : 'Freed '} {formatBytes(Number(d.bytesFreed ?? 0))} ({Number(d.blobsRemoved ?? 0)} blobs)
      </>
    );
  }
  if (e.type === 'policy.changed') return `${e.reference ?? ''}: ${String(d.policy ?? '')} ${String(d.change ?? '')}`;
  if (e.type === 'retention.finished') return `${e.reference ?? ''}: removed ${Number(d.tagsRemoved ?? 0)} tags, ${Number(d.manifestsRemoved ?? 0)} manifests`;
  if (!e.repository) return e.reference ?? '';
  const ref = e.reference ?? '';
  const digest = typeof d.digest === 'string' ? d.digest : ref.startsWith('sha256:') ? ref : undefined;
  return (
    <>
      <Link to={`/repositories/${e.repository}`}>{e.repository}</Link>
      {ref && !ref.startsWith('sha256:') && <span className="mono">:{ref}</span>}
      {digest && <span className="mono muted"> @{shortDigest(digest)}</span>}
    </>
  );
}

export function ActivityList({ items, compact }: { items: AuditEntry[]; compact?: boolean }) {
  return (
    <table className="table">
      <thead>
        <tr>
          <th scope="col">Event</th>
          <th scope="col">What</th>
          <th scope="col">Who</th>
          <th scope="col">When</th>
        </tr>
      </thead>
      <tbody>
        {items.map((e) => (
          <tr key={e.id}>
            <td>
              <Badge tone={tones[e.type] ?? 'neutral'}>{labels[e.type] ?? e.type}</Badge>
            </td>
            <td>{describe(e)}</td>
            <td>{e.actor ?? <span className="muted">{e.type === 'gc.finished' ? 'system' : 'anonymous'}</span>}</td>
            <td title={formatDate(e.at)}>{compact ? timeAgo(e.at) : formatDate(e.at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
