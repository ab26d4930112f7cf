
/** REPO:TAG, REPO@DIGEST or REPO (tag latest), as the scan command takes it. A registry host is not allowed. */
export function parseReference(s: string): { repository: string; ref: string } {
  const at = s.indexOf('@');
  if (at > 0) return { repository: s.slice(0, at), ref: s.slice(at + 1) };
  const slash = s.lastIndexOf('/');
  const colon = s.lastIndexOf(':');
  if (colon > slash) return { repository: s.slice(0, colon), ref: s.slice(colon + 1) };
  return { repository: s, ref: 'latest' };
}

