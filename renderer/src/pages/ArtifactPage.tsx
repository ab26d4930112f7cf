import type { ArtifactDetail, SystemInfo } from '../api/types';
import { seg } from '../api/client';
import { useApi } from '../components/useApi';
import { useSession } from '../app/session';
import { Link, decodeSegment, useRouter } from '../app/router';
import { Badge, Card, CopyField, EmptyState, ErrorBox, Loading, PageHeader, Stat } from '../components/ui';
import { DeleteAction } from '../components/DeleteAction';
import { VulnerabilitiesCard } from '../components/VulnerabilitiesCard';
import { isScannable } from '../components/Severity';
import { artifactName, formatBytes, formatDate, kindOf, platformText, shortDigest, timeAgo } from '../components/format';

export function ArtifactPage({ params }: { params: Record<string, string> }) {
  const name = decodeSegment(params.name!);
  const digest = decodeSegment(params.digest!);
  const { can } = useSession();
  const { navigate } = useRouter();
  const art = useApi<ArtifactDetail>(`/repositories/${seg(name)}/manifests/${seg(digest)}`);
  const system = useApi<SystemInfo>('/system');
  const host = system.data?.registryHost ?? location.host;
  const crumbs = (
    <>
      <Link to="/repositories">Repositories</Link> <span aria-hidden="true">/</span> <Link to={`/repositories/${name}`}>{name}</Link> <span aria-hidden="true">/</span>
    </>
  );
  const title = <span className="mono-title">{shortDigest(digest)}</span>;

  if (art.error) {
    return (
      <>
        <PageHeader title={title} crumbs={crumbs} />
        {art.error.id === 'manifest_not_found' || art.error.id === 'repository_not_found' ? (
          <EmptyState title="This artifact is not here (any more)">
            <p>
              It may have been deleted. <Link to={`/repositories/${name}`}>Back to {name}</Link>
            </p>
          </EmptyState>
        ) : (
          <ErrorBox error={art.error} onRetry={art.reload} />
        )}
      </>
    );
  }
  if (!art.data) return <><PageHeader title={title} crumbs={crumbs} /><Loading /></>;
  const a = art.data;
  const ref = a.tags[0] ? `${name}:${a.tags[0]}` : `${name}@${a.digest}`;
  const tls = system.data?.insecure ? ' --tls-verify=false' : '';

  return (
    <>
      <PageHeader
        title={title}
        crumbs={crumbs}
        subtitle={
          <>
            <Badge tone={a.isIndex ? 'violet' : 'blue'}>{kindOf(a)}</Badge> {a.tags.map((t) => <Badge key={t}>{t}</Badge>)}
          </>
        }
        actions={
          can.write && (
            <DeleteAction
              path={`/repositories/${seg(name)}/manifests/${seg(a.digest)}`}
              label="Delete artifact"
              title="Delete this artifact?"
              onDone={() => navigate(`/repositories/${name}`)}
            >
              <p>
                The manifest <code>{shortDigest(a.digest)}</code> in <code>{name}</code>
                {a.tags.length > 0 && (
                  <>
                    {' '}and its {a.tags.length === 1 ? 'tag' : 'tags'} <code>{a.tags.join(', ')}</code>
                  </>
                )}{' '}
                will be deleted. Clients can no longer pull it. Layers are freed by the next garbage collection.
              </p>
            </DeleteAction>
          )
        }
      />
      <div className="stats">
        <Stat label="Size" value={formatBytes(a.totalBytes)} hint={a.isIndex ? 'all platforms' : 'manifest, config and layers'} />
        <Stat label={a.isIndex ? 'Platforms' : 'Platform'} value={a.isIndex ? a.children.length : platformText(a.platform)} />
        <Stat label="Pushed" value={timeAgo(a.createdAt)} hint={formatDate(a.createdAt)} />
        <Stat label="Last pull" value={timeAgo(a.lastPulledAt)} hint={formatDate(a.lastPulledAt)} />
      </div>
      <Card title="Pull">
        <div className="copy-grid">
          <CopyField label="docker" value={`docker pull ${host}/${ref}`} />
          <CopyField label="podman" value={`podman pull${tls} ${host}/${ref}`} />
          <CopyField label="digest" value={`${host}/${name}@${a.digest}`} />
        </div>
      </Card>
      {system.data?.features.scan && isScannable(a) && <VulnerabilitiesCard name={name} digest={a.digest} layers={a.layers} parents={a.parents} />}
      <Card title="Details">
        <dl className="details">
          <dt>Digest</dt>
          <dd className="mono break">{a.digest}</dd>
          <dt>Media type</dt>
          <dd className="mono">{a.mediaType}</dd>
          {a.artifactType && (
            <>
              <dt>Artifact type</dt>
              <dd className="mono">{a.artifactType}</dd>
            </>
          )}
          <dt>Manifest size</dt>
          <dd>{formatBytes(a.size)}</dd>
          {a.imageCreated && (
            <>
              <dt>Image built</dt>
              <dd>{formatDate(Date.parse(a.imageCreated))}</dd>
            </>
          )}
          {a.subject && (
            <>
              <dt>Refers to</dt>
              <dd>
                <Link to={`/artifacts/${name}@${a.subject}`} className="mono">
                  {shortDigest(a.subject)}
                </Link>
              </dd>
            </>
          )}
          {a.parents.length > 0 && (
            <>
              <dt>Part of</dt>
              <dd>
                {a.parents.map((p) => (
                  <Link key={p} to={`/artifacts/${name}@${p}`} className="mono">
                    {shortDigest(p)}
                  </Link>
                ))}
              </dd>
            </>
          )}
          {Object.entries(a.annotations).map(([k, v]) => (
            <div key={k} className="details-row">
              <dt className="mono small">{k}</dt>
              <dd className="break">{v}</dd>
            </div>
          ))}
        </dl>
      </Card>
      {a.isIndex && (
        <Card title={`Platforms (${a.children.length})`}>
          <table className="table table-hover">
            <thead>
              <tr>
                <th scope="col">Platform</th>
                <th scope="col">Digest</th>
                <th scope="col">Media type</th>
                <th scope="col" className="num">Manifest size</th>
              </tr>
            </thead>
            <tbody>
              {a.children.map((c) => (
                <tr key={c.digest}>
                  <td className="strong">{platformText(c.platform)}</td>
                  <td>
                    {c.present ? (
                      <Link to={`/artifacts/${name}@${c.digest}`} className="mono">
                        {shortDigest(c.digest)}
                      </Link>
                    ) : (
                      <span className="mono muted" title="not stored in this registry">
                        {shortDigest(c.digest)}
                      </span>
                    )}
                  </td>
                  <td className="mono small">{c.mediaType}</td>
                  <td className="num">{formatBytes(c.size)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
      {!a.isIndex && (
        <Card title={`Layers (${a.layers.length})`}>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Digest</th>
                <th scope="col">Media type</th>
                <th scope="col" className="num">Size</th>
              </tr>
            </thead>
            <tbody>
              {a.config && (
                <tr>
                  <td className="muted">config</td>
                  <td className="mono" title={a.config.digest}>{shortDigest(a.config.digest)}</td>
                  <td className="mono small">{a.config.mediaType}</td>
                  <td className="num">{formatBytes(a.config.size)}</td>
                </tr>
              )}
              {a.layers.map((l, i) => (
                <tr key={`${l.digest}-${i}`}>
                  <td className="muted">{i + 1}</td>
                  <td className="mono" title={l.digest}>{shortDigest(l.digest)}</td>
                  <td className="mono small">{l.mediaType}</td>
                  <td className="num">{formatBytes(l.size)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
      <Card title={`Referrers (${a.referrers.length})`}>
        {a.referrers.length === 0 ? (
          <p className="muted pad">
            No signatures, SBOMs or attestations refer to this artifact. Tools such as <code>cosign</code> or <code>oras attach</code> push them here.
          </p>
        ) : (
          <table className="table table-hover">
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Digest</th>
                <th scope="col" className="num">Size</th>
                <th scope="col">Pushed</th>
              </tr>
            </thead>
            <tbody>
              {a.referrers.map((r) => (
                <tr key={r.digest}>
                  <td>
                    <Badge tone="amber">{r.artifactType ? artifactName(r.artifactType) : 'artifact'}</Badge>
                  </td>
                  <td>
                    <Link to={`/artifacts/${name}@${r.digest}`} className="mono">
                      {shortDigest(r.digest)}
                    </Link>
                  </td>
                  <td className="num">{formatBytes(r.size)}</td>
                  <td title={formatDate(r.createdAt)}>{timeAgo(r.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}
