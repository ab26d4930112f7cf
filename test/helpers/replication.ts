import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { skopeo } from './processes.js';
import { tempDir } from './test-registry.js';
import { imageBlobs, makeArtifact, makeImage, makeIndex, sha256, writeLayout, type Blob, type Image } from './oci-image.js';
import { validateConfig } from '../../registry/src/config/load.js';
import type { BerthConfigInput } from '../../registry/src/config/schema.js';
import { Core } from '../../registry/src/core.js';
import { createLogger } from '../../registry/src/logger.js';

/*
 * Helpers for the replication tests: seed a real registry with skopeo from OCI layouts, and build a Berth
 * core on a temp data folder with a replication config.
 */

export const plain = ['--src-tls-verify=false', '--dest-tls-verify=false'];

/** Copies `refs` (tag → manifest or index) with `blobs` into `host/repo` with skopeo, one tag at a time. */
export async function seed(host: string, repo: string, blobs: Blob[], refs: Record<string, Blob>, creds?: string): Promise<void> {
  const dir = tempDir('layout-');
  try {
    writeLayout(dir, blobs, refs);
    for (const tag of Object.keys(refs)) {
      await skopeo(['copy', '--all', '--preserve-digests', ...plain, ...(creds ? ['--dest-creds', creds] : []), `oci:${dir}:${tag}`, `docker://${host}/${repo}:${tag}`]);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function seedImage(host: string, repo: string, tag: string, img?: Image, creds?: string): Promise<Image> {
  const image = img ?? (await makeImage());
  await seed(host, repo, imageBlobs(image), { [tag]: image.manifest }, creds);
  return image;
}

/** A two-platform index with an SBOM referrer, the referrer listed in the referrers tag schema index (as oras does for registries without the API). */
export async function seedIndexWithReferrer(host: string, repo: string, tag: string) {
  const amd = await makeImage({ arch: 'amd64' });
  const arm = await makeImage({ arch: 'arm64' });
  const index = makeIndex([
    { image: amd, arch: 'amd64' },
    { image: arm, arch: 'arm64' },
  ]);
  const sbom = makeArtifact({ artifactType: 'application/spdx+json', subject: index, payload: Buffer.from('{"spdxVersion":"SPDX-2.3"}'), payloadType: 'application/spdx+json' });
  const fallback: Blob = blobOfJson({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: sbom.manifest.mediaType, digest: sbom.manifest.digest, size: sbom.manifest.size, artifactType: 'application/spdx+json' }],
  });
  await seed(host, repo, [...imageBlobs(amd), ...imageBlobs(arm), index], { [tag]: index });
  // skopeo copies images, not referrers: push the SBOM and the tag schema index over HTTP, as oras does.
  const url = `http://${host}`;
  for (const blob of sbom.blobs) await httpPushBlob(url, repo, blob);
  await httpPutManifest(url, repo, sbom.manifest.digest, sbom.manifest);
  await httpPutManifest(url, repo, index.digest.replace(':', '-'), fallback);
  return { amd, arm, index, sbom };
}

export async function httpPushBlob(url: string, repo: string, b: Blob, auth?: string): Promise<void> {
  const r = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: auth ? { authorization: auth } : {} });
  if (r.status !== 202) throw new Error(`POST upload ${repo}: ${r.status} ${await r.text()}`);
  const loc = new URL(r.headers.get('location')!, url);
  loc.searchParams.set('digest', b.digest);
  const put = await fetch(loc, { method: 'PUT', body: b.bytes, headers: { 'content-type': 'application/octet-stream', ...(auth ? { authorization: auth } : {}) } });
  if (put.status !== 201) throw new Error(`PUT blob ${b.digest}: ${put.status} ${await put.text()}`);
}

export async function httpPutManifest(url: string, repo: string, ref: string, m: Blob, auth?: string): Promise<void> {
  const r = await fetch(`${url}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body: m.bytes, headers: { 'content-type': m.mediaType, ...(auth ? { authorization: auth } : {}) } });
  if (r.status !== 201) throw new Error(`PUT manifest ${repo}:${ref}: ${r.status} ${await r.text()}`);
}

function blobOfJson(v: unknown): Blob {
  const bytes = Buffer.from(JSON.stringify(v));
  return { bytes, size: bytes.length, mediaType: 'application/vnd.oci.image.index.v1+json', digest: sha256(bytes) };
}

export async function tagsOf(url: string, repo: string, auth?: string): Promise<string[]> {
  const r = await fetch(`${url}/v2/${repo}/tags/list`, { headers: auth ? { authorization: auth } : {} });
  if (r.status === 404) return [];
  const body = (await r.json()) as { tags?: string[] | null };
  return (body.tags ?? []).sort();
}

export async function digestOf(url: string, repo: string, ref: string, auth?: string): Promise<string | undefined> {
  const r = await fetch(`${url}/v2/${repo}/manifests/${ref}`, {
    method: 'HEAD',
    headers: {
      accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
      ...(auth ? { authorization: auth } : {}),
    },
  });
  return r.status === 200 ? (r.headers.get('docker-content-digest') ?? undefined) : undefined;
}

/** Pushes an image into a Berth core as the user `dev` would (through the registry service, events and all). */
export async function pushLocal(core: Core, repo: string, tag: string, img: Image): Promise<void> {
  for (const b of [img.config, ...img.layers]) await core.registry.uploads.monolithic(repo, b.digest, Readable.from([b.bytes]), {}, { username: 'dev' });
  await core.registry.manifests.put(repo, tag, img.manifest.bytes, img.manifest.mediaType, { username: 'dev' });
}

/** A Berth core on a temp (or given) data folder with the config applied: what `berth replicate` runs on. */
export function replicationCore(config: Partial<BerthConfigInput>, data = tempDir('berth-repl-')): Core {
  const cfg = validateConfig({ log: { level: 'silent', requests: false }, gc: { schedule: '' }, ...config, data });
  const core = new Core(cfg, createLogger('silent'));
  core.reconcileConfig();
  return core;
}

export function writeConfig(dir: string, config: Record<string, unknown>): string {
  const file = path.join(dir, 'berth.yaml');
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export interface ProxyRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** 1-based count of requests seen. */
  n: number;
}

/**
 * forward it; answer it here; or `cutAfter`: send the request on with only its first N body bytes (and the
 * whole Content-Length), then break both connections, as a link that drops in the middle of a chunk.
 */
export type ProxyDecision = 'forward' | { status: number; headers?: Record<string, string> } | { cutAfter: number };

export interface TestProxy {
  url: string;
  requests: (ProxyRequest & { status: number; at: number })[];
  close(): Promise<void>;
}

/**
 * A store-and-forward HTTP proxy on 127.0.0.1 (request bodies are buffered before they go on, as nginx does by
 * default in front of Harbor): `decide` may answer a request itself (429) or run something first (stop the
 * registry behind it). The Host header is passed through, so the registry's Location headers point back here.
 */
export async function startTestProxy(target: string, decide: (r: ProxyRequest) => ProxyDecision | Promise<ProxyDecision> = () => 'forward'): Promise<TestProxy> {
  const t = new URL(target);
  const requests: TestProxy['requests'] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => undefined);
    req.on('end', () => {
      const info: ProxyRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, n: ++n };
      const record = (status: number) => requests.push({ ...info, status, at: Date.now() });
      void Promise.resolve(decide(info)).then((d) => {
        if (d !== 'forward' && 'cutAfter' in d) {
          record(0);
          const up = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers });
          up.on('error', () => undefined);
          // The partial body is handed to the socket before it is destroyed, so the registry has read into it.
          up.write(Buffer.concat(chunks).subarray(0, d.cutAfter), () => {
            up.destroy();
            res.destroy();
          });
          return;
        }
        if (d !== 'forward') {
          record(d.status);
          res.writeHead(d.status, d.headers ?? {});
          res.end();
          return;
        }
        const body = Buffer.concat(chunks);
        const headers = { ...req.headers, 'content-length': String(body.length) };
        delete headers['transfer-encoding'];
        const up = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers }, (ur) => {
          record(ur.statusCode ?? 0);
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          ur.pipe(res);
        });
        up.on('error', () => {
          record(502);
          if (!res.headersSent) res.writeHead(502);
          res.end();
        });
        up.end(body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
