import type { RepositoryDetail, SystemInfo } from '../api/types';
import type { ScanFinishedEvent, ScanSummary } from '../api/security';
import { seg } from '../api/client';
import { useApi, useServerEvents } from '../components/useApi';
import { ScanStatus, isScannable } from '../components/Severity';
import { useSession } from '../app/session';
import { Link, decodeSegment, useRouter } from '../app/router';
import { Badge, Card, CopyField, EmptyState, ErrorBox, Loading, PageHeader, Stat } from '../components/ui';
import { DeleteAction } from '../components/DeleteAction';
import { formatBytes, formatDate, kindOf, plural, shortDigest, timeAgo } from '../components/format';

export function RepositoryPage({ params }: { params: Record<string, string> }) {
  const name = decodeSegment(params.name!);
  const { can } = useSession();
  const { navigate } = useRouter();
  const repo = useApi<RepositoryDetail>(`/repositories/${seg(name)}`);
  const system = useApi<SystemInfo>('/system');
  const host = system.data?.registryHost ?? location.host;
  // Vulnerability counts per artifact when scanning is on; refreshed as scans of this repository finish.
  const scanning = system.data?.features.scan === true;
  const scans = useApi<{ items: ScanSummary[] }>(scanning ? `/repositories/${seg(name)}/scan-summaries` : null);
  useServerEvents(['scan.finished'], (_t, d) => (d as ScanFinishedEvent | undefined)?.repository === name && scans.reload());
  const scanOf = (digest: string) => scans.data?.items.find((i) => i.digest === digest);
  const crumbs = (
    <>
      <Link to="/repositories">Repositories</Link> <span aria-hidden="true">/</span>
    </>
  );

  if (repo.error) {
    return (
      <>
        <PageHeader title={name} crumbs={crumbs} />
        {repo.error.id === 'repository_not_found' ? (
          <EmptyState title="This repository does not exist (any more)">
            <p>
              It may have been deleted. <Link to="/repositories">Back to all repositories</Link>
            </p>
          </EmptyState>
        ) : (
          <ErrorBox error={repo.error} onRetry={repo.reload} />
        )}
      </>
    );
  }
  if (!repo.data) return <><PageHeader title={name} crumbs={crumbs} /><Loading /></>;
  const r = repo.data;
  // The tag to show in the pull commands: latest if there is one, else the newest tag of an image (not of an SBOM or signature).
  const isReferrer = (digest: string) => r.manifests.find((m) => m.digest === digest)?.subject != null;
  const firstTag = (r.tags.find((t) => t.name === 'latest') ?? r.tags.find((t) => !isReferrer(t.digest)) ?? r.tags[0])?.name ?? 'latest';
  // Referrers (signatures, SBOMs) are listed on the artifact they refer to, not as artifacts of their own.
  const topLevel = r.manifests.filter((m) => !m.subject);

  return (
    <>
      <PageHeader title={<span className="mono-title">{r.name}</span>} crumbs={crumbs} subtitle={`Project ${r.project} · created ${formatDate(r.createdAt)}`} />
      <div className="stats">
        <Stat label="Tags" value={r.tagCount} />
        <Stat label="Artifacts" value={r.manifestCount} />
        <Stat label="Size" value={formatBytes(r.bytes)} hint="distinct layers and manifests" />
        <Stat label="Last push" value={timeAgo(r.lastPushedAt)} hint={formatDate(r.lastPushedAt)} />
        <Stat label="Last pull" value={timeAgo(r.lastPulledAt)} hint={formatDate(r.lastPulledAt)} />
      </div>
      <Card title="Pull this image">
        <div className="copy-grid">
          <CopyField label="docker" value={`docker pull ${host}/${r.name}:${firstTag}`} />
          <CopyField label="podman" value={`podman pull${system.data?.insecure ? ' --tls-verify=false' : ''} ${host}/${r.name}:${firstTag}`} />
        </div>
      </Card>
      <Card title={`Tags (${r.tags.length})`}>
        {r.tags.length === 0 ? (
          <p className="muted pad">No tags: the artifacts below are reachable by digest only.</p>
        ) : (
          <table className="table table-hover">
            <thead>
              <tr>
                <th scope="col">Tag</th>
                <th scope="col">Digest</th>
                <th scope="col">Kind</th>
                <th scope="col" className="num">Size</th>
                {scanning && <th scope="col">Vulnerabilities</th>}
                <th scope="col">Updated</th>
                {can.write && <th scope="col"><span className="sr-only">Actions</span></th>}
              </tr>
            </thead>
            <tbody>
              {r.tags.map((t) => {
                const m = r.manifests.find((x) => x.digest === t.digest);
                return (
                  <tr key={t.name}>
                    <td>
                      <Link to={`/artifacts/${r.name}@${t.digest}`} className="strong mono">
                        {t.name}
                      </Link>
                    </td>
                    <td className="mono" title={t.digest}>{shortDigest(t.digest)}</td>
                    <td>{m ? <Badge tone={m.isIndex ? 'violet' : 'blue'}>{kindOf(m)}</Badge> : '—'}</td>
                    <td className="num">{m ? formatBytes(m.totalBytes) : '—'}</td>
                    {scanning && <td>{m && isScannable(m) ? <ScanStatus summary={scanOf(t.digest)} /> : <span className="muted">—</span>}</td>}
                    <td title={formatDate(t.updatedAt)}>{timeAgo(t.updatedAt)}</td>
                    {can.write && (
                      <td className="actions">
                        <DeleteAction small path={`/repositories/${seg(r.name)}/tags/${seg(t.name)}`} label={`Delete tag ${t.name}`} title={`Delete tag ${t.name}?`} onDone={repo.reload}>
                          <p>
                            The tag <code>{r.name}:{t.name}</code> will be removed. The artifact it points at (<code>{shortDigest(t.digest)}</code>) stays and can still be pulled by digest.
                          </p>
                        </DeleteAction>
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Card>
      <Card title={`Artifacts (${topLevel.length})`}>
        <table className="table table-hover">
          <thead>
            <tr>
              <th scope="col">Digest</th>
              <th scope="col">Tags</th>
              <th scope="col">Kind</th>
              <th scope="col" className="num">Size</th>
              {scanning && <th scope="col">Vulnerabilities</th>}
              <th scope="col">Pushed</th>
              <th scope="col">Last pull</th>
            </tr>
          </thead>
          <tbody>
            {topLevel.map((m) => (
              <tr key={m.digest}>
                <td>
                  <Link to={`/artifacts/${r.name}@${m.digest}`} className="mono strong" title={m.digest}>
                    {shortDigest(m.digest)}
                  </Link>
                </td>
                <td>{m.tags.length ? m.tags.map((t) => <Badge key={t}>{t}</Badge>) : <span className="muted">untagged</span>}</td>
                <td>
                  <Badge tone={m.isIndex ? 'violet' : 'blue'}>{kindOf(m)}</Badge>
                  {m.referrerCount > 0 && <span className="muted small"> +{plural(m.referrerCount, 'referrer')}</span>}
                </td>
                <td className="num">{formatBytes(m.totalBytes)}</td>
                {scanning && <td>{isScannable(m) ? <ScanStatus summary={scanOf(m.digest)} /> : <span className="muted">—</span>}</td>}
                <td title={formatDate(m.createdAt)}>{timeAgo(m.createdAt)}</td>
                <td title={formatDate(m.lastPulledAt)}>{timeAgo(m.lastPulledAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
      {r.manifests.length === 0 && (
        <EmptyState title="This repository is empty">
          <button type="button" className="btn" onClick={() => navigate('/repositories')}>
            Back to repositories
          </button>
        </EmptyState>
      )}
    </>
  );
}
