import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Every small request of the bench gives up after this long (a stuck server must not hang the run). */
const REQUEST_TIMEOUT_MS = 30_000;
const timeout = (): AbortSignal => AbortSignal.timeout(REQUEST_TIMEOUT_MS);

export const MiB = 1024 * 1024;

export interface TestFile {
  path: string;
  size: number;
  digest: string;
}

/** Writes `size` random bytes to `file` in 4 MiB pieces (never the whole thing in memory) and hashes them. */
export async function randomFile(file: string, size: number): Promise<TestFile> {
  const hash = createHash('sha256');
  let left = size;
  const source = Readable.from(
    (function* () {
      while (left > 0) {
        const n = Math.min(left, 4 * MiB);
        left -= n;
        const chunk = randomBytes(n);
        hash.update(chunk);
        yield chunk;
      }
    })(),
  );
  await pipeline(source, fs.createWriteStream(file));
  return { path: file, size, digest: `sha256:${hash.digest('hex')}` };
}

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** Headers for one server: Berth gets admin Basic credentials, Distribution (no auth here) gets nothing. */
export type AuthHeader = Record<string, string>;

async function expectStatus(res: Response, ok: number[], what: string): Promise<void> {
  if (!ok.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
}

function absolute(base: string, location: string): string {
  return new URL(location, base).toString();
}

function withDigest(location: string, digest: string): string {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u.toString();
}

/** Pushes a small in-memory blob (config, tiny layer) with POST then PUT. */
export async function pushSmallBlob(base: string, repo: string, bytes: Buffer, auth: AuthHeader): Promise<string> {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: auth, signal: timeout() });
  await expectStatus(start, [202], `POST upload to ${base}`);
  await start.arrayBuffer();
  const put = await fetch(withDigest(absolute(base, start.headers.get('location')!), digest), {
    method: 'PUT',
    headers: { ...auth, 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) },
    body: bytes,
    signal: timeout(),
  });
  await expectStatus(put, [201], `PUT blob to ${base}`);
  await put.arrayBuffer();
  return digest;
}

/** A one-layer OCI image under `repo:tag`; returns the manifest digest. */
export async function pushSmallImage(base: string, repo: string, tag: string, auth: AuthHeader): Promise<string> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const layer = randomBytes(2048);
  const configDigest = await pushSmallBlob(base, repo, config, auth);
  const layerDigest = await pushSmallBlob(base, repo, layer, auth);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
    }),
  );
  const res = await fetch(`${base}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...auth, 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
    signal: timeout(),
  });
  await expectStatus(res, [201], `PUT manifest to ${base}`);
  await res.arrayBuffer();
  return `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
}

/** A pull token from Berth's token endpoint. */
export async function pullToken(base: string, repo: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${base}/auth/token?service=berth&scope=repository:${repo}:pull`, { headers: { Authorization: basicAuth(username, password) }, signal: timeout() });
  await expectStatus(res, [200], 'token');
  const body = (await res.json()) as { token: string };
  return body.token;
}

async function curl(args: string[], timeoutMs: number): Promise<string> {
  const { stdout } = await execFileAsync('curl', ['-sS', '--max-time', String(Math.ceil(timeoutMs / 1000)), ...args], { timeout: timeoutMs + 5000 });
  return stdout;
}

function curlHeaders(auth: AuthHeader): string[] {
  return Object.entries(auth).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
}

/** POST to open an upload session; returns the absolute Location. */
async function openUpload(base: string, repo: string, auth: AuthHeader): Promise<string> {
  const res = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: auth, signal: timeout() });
  await expectStatus(res, [202], `POST upload to ${base}`);
  await res.arrayBuffer();
  return absolute(base, res.headers.get('location')!);
}

/** Monolithic push: POST, then one PUT streaming the file (curl -T, the file is never in memory). Returns seconds. */
export async function pushMonolithic(base: string, repo: string, file: TestFile, auth: AuthHeader, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  const location = await openUpload(base, repo, auth);
  const out = await curl(
    ['-o', '/dev/null', '-w', '%{http_code}', '-X', 'PUT', '-T', file.path, '-H', 'Content-Type: application/octet-stream', ...curlHeaders(auth), withDigest(location, file.digest)],
    timeoutMs,
  );
  if (out.trim() !== '201') throw new Error(`monolithic PUT to ${base} answered ${out}`);
  return (performance.now() - t0) / 1000;
}

/** One request streaming bytes [start, end] of a file; resolves with status and headers. */
function streamRange(
  method: string,
  url: string,
  headers: Record<string, string>,
  file: string,
  start: number,
  end: number,
): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { ...headers, 'Content-Length': String(end - start + 1) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(120_000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    fs.createReadStream(file, { start, end, highWaterMark: MiB }).pipe(req);
  });
}

/** Chunked push: POST, PATCH chunks with Content-Range, final PUT ?digest= without body. Returns seconds. */
export async function pushChunked(base: string, repo: string, file: TestFile, chunkSize: number, auth: AuthHeader): Promise<number> {
  const t0 = performance.now();
  let location = await openUpload(base, repo, auth);
  for (let start = 0; start < file.size; start += chunkSize) {
    const end = Math.min(file.size, start + chunkSize) - 1;
    const r = await streamRange('PATCH', location, { ...auth, 'Content-Type': 'application/octet-stream', 'Content-Range': `${start}-${end}` }, file.path, start, end);
    if (r.status !== 202 || !r.location) throw new Error(`PATCH ${start}-${end} to ${base} answered ${r.status}`);
    location = absolute(base, r.location);
  }
  const res = await fetch(withDigest(location, file.digest), { method: 'PUT', headers: { ...auth, 'Content-Length': '0' }, signal: timeout() });
  await expectStatus(res, [201], `final PUT to ${base}`);
  await res.arrayBuffer();
  return (performance.now() - t0) / 1000;
}

/** GET a blob to /dev/null with curl; checks status and size, returns seconds. */
export async function getBlob(base: string, repo: string, file: TestFile, auth: AuthHeader, timeoutMs: number): Promise<number> {
  const out = await curl(['-o', '/dev/null', '-w', '%{http_code} %{size_download} %{time_total}', ...curlHeaders(auth), `${base}/v2/${repo}/blobs/${file.digest}`], timeoutMs);
  const [code, size, total] = out.trim().split(' ');
  if (code !== '200' || Number(size) !== file.size) throw new Error(`blob GET from ${base}: HTTP ${code}, ${size} bytes`);
  return Number(total);
}

/** Streams a blob through sha256 once (correctness check, not timed). */
export async function blobDigest(base: string, repo: string, digest: string, auth: AuthHeader): Promise<string> {
  const res = await fetch(`${base}/v2/${repo}/blobs/${digest}`, { headers: auth, signal: AbortSignal.timeout(120_000) });
  await expectStatus(res, [200], 'blob GET');
  const hash = createHash('sha256');
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}

export interface WrkResult {
  requestsPerSec: number;
  requests: number;
  errors: number;
  non2xx: number;
  p50ms: number | undefined;
  p99ms: number | undefined;
}

function toMs(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

/** Runs wrk and parses its summary. Any non-2xx answer or socket error is reported, not hidden. */
export async function wrk(url: string, headers: Record<string, string>, opts: { threads: number; connections: number; seconds: number }): Promise<WrkResult> {
  const args = [`-t${opts.threads}`, `-c${opts.connections}`, `-d${opts.seconds}s`, '--timeout', '10s', '--latency', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url];
  const { stdout } = await execFileAsync('wrk', args, { timeout: (opts.seconds + 30) * 1000 });
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  const total = /(\d+) requests in/.exec(stdout);
  if (!rps || !total) throw new Error(`cannot parse wrk output:\n${stdout}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const errors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    requestsPerSec: Number(rps[1]),
    requests: Number(total[1]),
    errors,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    p50ms: toMs(/^\s+50%\s+(\S+)/m.exec(stdout)?.[1]),
    p99ms: toMs(/^\s+99%\s+(\S+)/m.exec(stdout)?.[1]),
  };
}
