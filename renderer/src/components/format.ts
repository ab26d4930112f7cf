export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[i]}`;
}

export function formatDate(ms: number | null | undefined): string {
  if (!ms) return 'never';
  return new Date(ms).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function timeAgo(ms: number | null | undefined, now = Date.now()): string {
  if (!ms) return 'never';
  const s = Math.round((now - ms) / 1000);
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d < 30) return `${d} d ago`;
  return formatDate(ms);
}

export function shortDigest(d: string): string {
  const i = d.indexOf(':');
  return i < 0 ? d.slice(0, 12) : d.slice(i + 1, i + 13);
}

export function platformText(p: { os: string; architecture: string; variant?: string } | null): string {
  return p ? `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}` : '—';
}

const mediaTypeNames: Record<string, string> = {
  'application/vnd.oci.image.manifest.v1+json': 'OCI image',
  'application/vnd.oci.image.index.v1+json': 'OCI index',
  'application/vnd.docker.distribution.manifest.v2+json': 'Docker image',
  'application/vnd.docker.distribution.manifest.list.v2+json': 'Docker manifest list',
};

export function kindOf(m: { mediaType: string; artifactType: string | null; isIndex?: boolean }): string {
  const known = mediaTypeNames[m.mediaType];
  const at = m.artifactType;
  if (at && !/image\.config|container\.image/.test(at)) return artifactName(at);
  return known ?? m.mediaType;
}

export function artifactName(t: string): string {
  if (/sbom|spdx|cyclonedx/i.test(t)) return 'SBOM';
  if (/signature|cosign|notary/i.test(t)) return 'Signature';
  if (/attestation|in-toto/i.test(t)) return 'Attestation';
  return t.replace(/^application\/(vnd\.)?/, '');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}
