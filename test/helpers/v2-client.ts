import http from 'node:http';
import assert from 'node:assert/strict';
import type { TestRegistry } from './test-registry.js';
import type { Blob, Image } from './oci-image.js';

/*
 * Small helpers over plain fetch for the /v2 integration tests: push blobs and manifests, read error
 * envelopes, fetch tokens, and send raw paths that fetch() would normalise (`..`).
 */

export type Creds = false | { username: string; password: string };

export async function pushBlob(reg: TestRegistry, repo: string, b: Pick<Blob, 'digest' | 'bytes'>, auth?: Creds): Promise<void> {
  const r = await reg.fetch(`/v2/${repo}/blobs/uploads/?digest=${b.digest}`, {
    method: 'POST',
    body: b.bytes,
    headers: { 'content-type': 'application/octet-stream' },
    ...(auth !== undefined ? { auth } : {}),
  });
  assert.equal(r.status, 201, `push blob ${b.digest} to ${repo}: ${r.status} ${await r.text()}`);
}

export async function putManifest(reg: TestRegistry, repo: string, ref: string, m: Pick<Blob, 'bytes' | 'mediaType'>, auth?: Creds): Promise<Response> {
  return reg.fetch(`/v2/${repo}/manifests/${ref}`, {
    method: 'PUT',
    body: m.bytes,
    headers: { 'content-type': m.mediaType },
    ...(auth !== undefined ? { auth } : {}),
  });
}

/** Pushes an image's blobs and its manifest under `tag`; asserts success. */
export async function pushImage(reg: TestRegistry, repo: string, tag: string, img: Image): Promise<void> {
  for (const b of [img.config, ...img.layers]) await pushBlob(reg, repo, b);
  const r = await putManifest(reg, repo, tag, img.manifest);
  assert.equal(r.status, 201, `push manifest ${repo}:${tag}: ${await r.text()}`);
}

export interface ErrorEnvelope {
  errors: { code: string; message: string; detail: unknown }[];
}

/** Asserts status, JSON content type and the spec's error envelope with `code`; returns the envelope. */
export async function expectError(r: Response, status: number, code: string): Promise<ErrorEnvelope> {
  const text = await r.text();
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status}: ${text}`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  const body = JSON.parse(text) as ErrorEnvelope;
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, text);
  const e = body.errors[0]!;
  assert.equal(e.code, code, text);
  assert.equal(typeof e.message, 'string');
  assert.ok('detail' in e, 'every error carries a detail member');
  return body;
}

/** A token from the token endpoint (Basic credentials when given). */
export async function token(reg: TestRegistry, scopes: string[], creds?: { username: string; password: string }): Promise<string> {
  const q = new URLSearchParams({ service: 'berth' });
  for (const s of scopes) q.append('scope', s);
  const r = await reg.fetch(`/auth/token?${q.toString()}`, { auth: creds ?? false });
  const text = await r.text();
  assert.equal(r.status, 200, text);
  const body = JSON.parse(text) as { token: string; access_token: string };
  assert.equal(body.token, body.access_token);
  return body.token;
}

export const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });

/** A request with the path sent exactly as given (no URL normalisation), for hostile-path tests. */
export function rawRequest(
  url: string,
  method: string,
  rawPath: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path: rawPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
