/*
 * UpstreamClient: the one HTTP client Berth uses to talk to remote registries (proxy cache, replication).
 *
 * Pull side                                           Push side (replication)
 *   ping()                     GET  /v2/                startUpload(repo)            POST  /v2/<repo>/blobs/uploads/
 *   headManifest(repo, ref)    HEAD /manifests/<ref>    uploadChunk(session, body…)  PATCH <location>
 *   getManifest(repo, ref)     GET  /manifests/<ref>    completeUpload(session, d)   PUT   <location>?digest=
 *   headBlob(repo, digest)     HEAD /blobs/<digest>     pushBlob(repo, d, size, src) POST + PUT (one stream)
 *   getBlob(repo, digest)      GET  /blobs/<digest>     mountBlob(repo, d, from)     POST  ?mount=&from=
 *   tags(repo, page)           GET  /tags/list          putManifest(repo, ref, …)    PUT   /manifests/<ref>
 *   catalog(page)              GET  /v2/_catalog        deleteManifest(repo, digest) DELETE
 *
 * Contract for callers:
 * - Repository names are the remote's names (call upstreamRepository() for Docker Hub's `library/`).
 * - Every failure is an UpstreamError whose `kind` says what to do (errors.ts). Nothing else escapes.
 * - Authentication is automatic: the first 401 teaches the client the challenge; Bearer tokens are fetched
 *   per scope (repository:NAME:pull or pull,push) and cached; Basic is answered with the credentials. The
 *   password is read from the SecretStore through a callback when needed and never logged.
 * - Idempotent requests (GET, HEAD, and PUT/PATCH whose body can be produced again) are retried on
 *   connection errors, timeouts, 5xx and 429, with exponential backoff and Retry-After honoured up to a cap.
 *   `retries: 0` per call turns that off (a cache that has a copy should answer now, not wait).
 * - Bodies stream: getBlob returns the response stream (caller must consume or destroy it); pushBlob takes a
 *   function that opens the source stream (called again for a retry). Manifests are read with a size cap.
 * - Manifest bytes are verified: the digest is computed, checked against a digest reference and against
 *   Docker-Content-Digest. Blob digests are the caller's job (it hashes while it stores).
 * - Redirects (blob storage on a CDN) are followed for GET/HEAD without the Authorization header when the host
 *   changes.
 */
import type { Readable } from 'node:stream';
import type { Agent, Dispatcher } from 'undici';
import { undici } from './undici.js';
import { digestOf, looksLikeDigest, parseDigest } from '../oci/digest.js';
import { MAX_MANIFEST_BYTES } from '../oci/manifest.js';
import { baseMediaType, manifestMediaTypes } from '../oci/media-types.js';
import { RangeUnsupportedError, UpstreamError, isNetworkError, isUpstreamError } from './errors.js';
import { TokenAuth } from './token-auth.js';
import { boundedBody, type BoundsViolation } from '../store/bounded-stream.js';
import { resolveEndpoint, type RegistryType } from './endpoint.js';

export interface UpstreamOptions {
  /** The configured registry name (logs, metrics). */
  name: string;
  url: string;
  type?: RegistryType;
  /** Skip TLS verification (and, by writing http://, allow plain HTTP). */
  insecure?: boolean;
  username?: string;
  password?: () => Promise<string | undefined>;
  timeouts?: { connectMs?: number; headersMs?: number; bodyIdleMs?: number };
  /** Default retries for idempotent requests (default 2). */
  retries?: number;
  /** First backoff step in ms (default 250), doubled each retry. */
  backoffMs?: number;
  /** Longest Retry-After we wait for; longer ones fail at once with the error (default 30 s). */
  maxRetryAfterSeconds?: number;
  userAgent?: string;
  /** Bounds on what a remote may send (config `limits`). */
  limits?: { manifestMaxBytes?: number; maxBlobBytes?: number };
}

export interface CallOptions {
  retries?: number;
  signal?: AbortSignal;
}

export interface ManifestHead {
  /** Docker-Content-Digest, when the remote sent it. */
  digest: string | undefined;
  mediaType: string;
  size: number | undefined;
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  /** Computed from the bytes. */
  digest: string;
}

export interface BlobResponse {
  /** Bounded: fails (UpstreamError 'invalid') past the expected size, or short of it at the end. */
  body: Readable;
  /** The expected size, else Content-Length, when the remote sent it. */
  size: number | undefined;
}

export interface Page {
  items: string[];
  /** The `last` value for the next page, when the remote said there is one. */
  next: string | undefined;
}

/** One entry of a referrers index. */
export interface ReferrerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface UploadSession {
  repository: string;
  /** Absolute URL of the session (from Location). */
  location: string;
  offset: number;
}

type Body = Buffer | (() => Readable) | undefined;

interface Req {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the API base (`/v2/...`) or an absolute URL (upload Location). */
  target: string;
  headers?: Record<string, string>;
  body?: Body;
  /** Auth scope: repository:NAME:ACTIONS, or registry:catalog:* */
  scope: string | undefined;
  /** Statuses the caller handles itself; anything else becomes an UpstreamError. */
  accept: number[];
  retries?: number;
  signal?: AbortSignal | undefined;
}

export const MANIFEST_ACCEPT = [...manifestMediaTypes].join(', ');

/** Cap on a blob body whose size nobody declared (config limits.maxBlobBytes overrides it). */
export const DEFAULT_MAX_BLOB_BYTES = 64 * 1024 ** 3;

export class UpstreamClient {
  readonly name: string;
  readonly type: RegistryType;
  readonly apiBase: string;
  private agent: Promise<Agent> | undefined;
  private readonly agentOptions: Agent.Options;
  private readonly auth: TokenAuth;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfter: number;
  private readonly headersMs: number;
  private readonly bodyIdleMs: number;
  private readonly userAgent: string;
  private readonly manifestMaxBytes: number;
  private readonly maxBlobBytes: number;

  constructor(opts: UpstreamOptions) {
    const ep = resolveEndpoint(opts.url, opts.type);
    this.name = opts.name;
    this.type = ep.type;
    this.apiBase = ep.apiBase;
    this.retries = opts.retries ?? 2;
    this.backoffMs = opts.backoffMs ?? 250;
    this.maxRetryAfter = opts.maxRetryAfterSeconds ?? 30;
    this.headersMs = opts.timeouts?.headersMs ?? 15_000;
    this.bodyIdleMs = opts.timeouts?.bodyIdleMs ?? 60_000;
    this.userAgent = opts.userAgent ?? 'berth';
    this.manifestMaxBytes = Math.min(opts.limits?.manifestMaxBytes ?? MAX_MANIFEST_BYTES, MAX_MANIFEST_BYTES);
    this.maxBlobBytes = opts.limits?.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
    this.agentOptions = {
      connect: { timeout: opts.timeouts?.connectMs ?? 5_000, rejectUnauthorized: !opts.insecure },
      headersTimeout: this.headersMs,
      bodyTimeout: this.bodyIdleMs,
      keepAliveTimeout: 30_000,
      connections: 32,
    };
    this.auth = new TokenAuth({ username: opts.username, password: opts.password ?? (async () => undefined) }, () => this.dispatcher(), this.headersMs);
  }

  /** The connection pool, made on first use (undici itself loads then: see undici.ts). */
  private dispatcher(): Promise<Agent> {
    return (this.agent ??= undici().then((u) => new u.Agent(this.agentOptions)));
  }

  async close(): Promise<void> {
    const agent = this.agent;
    this.agent = undefined;
    if (agent) await (await agent).close().catch(() => undefined);
  }

  /** GET /v2/: resolves when the remote answers like a registry (401 counts: it is up). */
  async ping(opts: CallOptions = {}): Promise<void> {
    const res = await this.send({ method: 'GET', target: '/v2/', scope: undefined, accept: [200, 401], ...opts });
    await drain(res);
  }

  /** HEAD a manifest: undefined when the remote says 404. */
  async headManifest(repo: string, ref: string, opts: CallOptions = {}): Promise<ManifestHead | undefined> {
    const res = await this.send({ method: 'HEAD', target: `/v2/${repo}/manifests/${ref}`, headers: { accept: MANIFEST_ACCEPT }, scope: pull(repo), accept: [200, 404], ...opts });
    await drain(res);
    if (res.statusCode === 404) return undefined;
    const digest = header(res, 'docker-content-digest');
    const len = Number(header(res, 'content-length'));
    return {
      digest: digest && tryDigest(digest),
      mediaType: baseMediaType(header(res, 'content-type')),
      size: Number.isSafeInteger(len) && len >= 0 ? len : undefined,
    };
  }

  /** GET a manifest (404 is an UpstreamError 'not_found'); bytes verified against the reference and header. */
  async getManifest(repo: string, ref: string, opts: CallOptions & { maxBytes?: number } = {}): Promise<FetchedManifest> {
    const max = Math.min(opts.maxBytes ?? this.manifestMaxBytes, this.manifestMaxBytes);
    const res = await this.send({ method: 'GET', target: `/v2/${repo}/manifests/${ref}`, headers: { accept: MANIFEST_ACCEPT }, scope: pull(repo), accept: [200], ...opts });
    const bytes = await readCapped(res, max, `manifest ${repo}:${ref}`);
    const algorithm = looksLikeDigest(ref) ? parseDigest(ref).algorithm : 'sha256';
    const digest = digestOf(bytes, algorithm);
    if (looksLikeDigest(ref) && digest !== ref) {
      throw new UpstreamError('invalid', `manifest ${repo}@${ref} has digest ${digest}: the remote sent other bytes`);
    }
    const claimed = header(res, 'docker-content-digest');
    if (claimed && tryDigest(claimed)?.startsWith(`${algorithm}:`) && claimed !== digest) {
      throw new UpstreamError('invalid', `manifest ${repo}:${ref} has digest ${digest}, the remote claimed ${claimed}`);
    }
    return { bytes, mediaType: baseMediaType(header(res, 'content-type')), digest };
  }

  async headBlob(repo: string, digest: string, opts: CallOptions = {}): Promise<number | undefined> {
    const res = await this.send({ method: 'HEAD', target: `/v2/${repo}/blobs/${digest}`, scope: pull(repo), accept: [200, 404], ...opts });
    await drain(res);
    if (res.statusCode === 404) return undefined;
    const len = Number(header(res, 'content-length'));
    return Number.isSafeInteger(len) ? len : -1;
  }

  /**
   * GET a blob as a stream. The caller verifies the digest while consuming it. The body is bounded: by
   * `size` (the descriptor's, when the caller knows it), else by Content-Length, else by limits.maxBlobBytes;
   * a remote that declares another size than the descriptor's is refused before a byte is read.
   */
  async getBlob(repo: string, digest: string, opts: CallOptions & { size?: number } = {}): Promise<BlobResponse> {
    const res = await this.send({ method: 'GET', target: `/v2/${repo}/blobs/${digest}`, scope: pull(repo), accept: [200], ...opts });
    const declared = declaredLength(res);
    if (opts.size !== undefined && declared !== undefined && declared !== opts.size) {
      discard(res);
      throw new UpstreamError('invalid', `${this.name} announced ${declared} bytes for ${digest}, its descriptor says ${opts.size}`);
    }
    const size = opts.size ?? declared;
    const what = `the body of ${repo}@${digest} from ${this.name}`;
    const body = size !== undefined ? boundedBody(res.body, { max: size, exact: true, error: boundsError(what) }) : boundedBody(res.body, { max: this.maxBlobBytes, error: boundsError(what) });
    return { body, size };
  }

  /**
   * GET bytes [start, end] (inclusive) of a blob: what resuming an interrupted copy needs. A remote that
   * ignores the Range header (answers 200) or answers another range is an error, never silently the wrong bytes.
   */
  async getBlobRange(repo: string, digest: string, start: number, end: number, opts: CallOptions = {}): Promise<Readable> {
    const headers = { range: `bytes=${start}-${end}` };
    const res = await this.send({ method: 'GET', target: `/v2/${repo}/blobs/${digest}`, headers, scope: pull(repo), accept: [200, 206], ...opts });
    const got = /^bytes (\d+)-(\d+)\//.exec(header(res, 'content-range') ?? '');
    if (res.statusCode !== 206 || !got || Number(got[1]) !== start || Number(got[2]) !== end) {
      // Dropped, not drained: a 200 here may be the whole blob.
      discard(res);
      throw new RangeUnsupportedError(`${this.name} does not serve byte ranges of blobs (asked ${start}-${end}, got HTTP ${res.statusCode} ${header(res, 'content-range') ?? 'without Content-Range'})`, res.statusCode);
    }
    return boundedBody(res.body, { max: end - start + 1, exact: true, error: boundsError(`bytes ${start}-${end} of ${repo}@${digest} from ${this.name}`) });
  }

  async tags(repo: string, page: { n?: number; last?: string } = {}, opts: CallOptions = {}): Promise<Page> {
    const body = await this.json<{ tags?: string[] | null }>(`/v2/${repo}/tags/list${query(page)}`, pull(repo), opts);
    return { items: body.value.tags ?? [], next: body.next };
  }

  async catalog(page: { n?: number; last?: string } = {}, opts: CallOptions = {}): Promise<Page> {
    const body = await this.json<{ repositories?: string[] | null }>(`/v2/_catalog${query(page)}`, 'registry:catalog:*', opts);
    return { items: body.value.repositories ?? [], next: body.next };
  }

  // ---- push side ----

  async startUpload(repo: string, opts: CallOptions = {}): Promise<UploadSession> {
    const res = await this.send({ method: 'POST', target: `/v2/${repo}/blobs/uploads/`, scope: push(repo), accept: [202], ...opts });
    await drain(res);
    return { repository: repo, location: this.location(res, repo), offset: 0 };
  }

  /** Appends a chunk (PATCH with Content-Range); returns the session with its new Location and offset. */
  async uploadChunk(s: UploadSession, body: Buffer | (() => Readable), length: number, opts: CallOptions = {}): Promise<UploadSession> {
    const headers = {
      'content-type': 'application/octet-stream',
      'content-length': String(length),
      'content-range': `${s.offset}-${s.offset + length - 1}`,
    };
    const res = await this.send({ method: 'PATCH', target: s.location, headers, body, scope: push(s.repository), accept: [202], ...opts });
    await drain(res);
    return { repository: s.repository, location: this.location(res, s.repository), offset: s.offset + length };
  }

  async completeUpload(s: UploadSession, digest: string, opts: CallOptions = {}): Promise<void> {
    const res = await this.send({ method: 'PUT', target: withQuery(s.location, 'digest', digest), headers: { 'content-length': '0' }, scope: push(s.repository), accept: [201], ...opts });
    await drain(res);
  }

  /** One blob in one PUT: POST a session, then PUT the whole stream with ?digest=. */
  async pushBlob(repo: string, digest: string, size: number, open: () => Readable, opts: CallOptions = {}): Promise<void> {
    const s = await this.startUpload(repo, opts);
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(size) };
    const res = await this.send({ method: 'PUT', target: withQuery(s.location, 'digest', digest), headers, body: open, scope: push(repo), accept: [201], ...opts });
    await drain(res);
  }

  /** Cross-repository mount; false when the remote started an upload session instead (that session is cancelled). */
  async mountBlob(repo: string, digest: string, from: string, opts: CallOptions = {}): Promise<boolean> {
    const scope = `${push(repo)} repository:${from}:pull`;
    const res = await this.send({ method: 'POST', target: `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`, scope, accept: [201, 202], ...opts });
    await drain(res);
    if (res.statusCode === 201) return true;
    const loc = header(res, 'location');
    if (loc) {
      await this.send({ method: 'DELETE', target: this.absolute(loc), scope: push(repo), accept: [204, 404], retries: 0 }).then(drain, () => undefined);
    }
    return false;
  }

  /** PUT a manifest; returns the digest the remote reports (or the computed one). */
  async putManifest(repo: string, ref: string, bytes: Buffer, mediaType: string, opts: CallOptions = {}): Promise<string> {
    const headers = { 'content-type': mediaType, 'content-length': String(bytes.length) };
    const res = await this.send({ method: 'PUT', target: `/v2/${repo}/manifests/${ref}`, headers, body: bytes, scope: push(repo), accept: [201], ...opts });
    await drain(res);
    return tryDigest(header(res, 'docker-content-digest') ?? '') ?? digestOf(bytes);
  }

  async deleteManifest(repo: string, digest: string, opts: CallOptions = {}): Promise<boolean> {
    const res = await this.send({ method: 'DELETE', target: `/v2/${repo}/manifests/${digest}`, scope: `repository:${repo}:delete`, accept: [202, 404], ...opts });
    await drain(res);
    return res.statusCode === 202;
  }

  /**
   * Referrers of a manifest (OCI 1.1 `GET /v2/<name>/referrers/<digest>`): the descriptors of the answered index,
   * or undefined when the remote has no referrers API (404, or an answer that is no index). Callers then try
   * the referrers tag schema (`sha256-<hex>`). Added for replication.
   */
  async referrers(repo: string, digest: string, opts: CallOptions = {}): Promise<ReferrerDescriptor[] | undefined> {
    const res = await this.send({ method: 'GET', target: `/v2/${repo}/referrers/${digest}`, headers: { accept: 'application/vnd.oci.image.index.v1+json' }, scope: pull(repo), accept: [200, 404], ...opts });
    if (res.statusCode === 404) {
      await drain(res);
      return undefined;
    }
    const text = (await readCapped(res, this.manifestMaxBytes, `referrers of ${repo}@${digest}`)).toString('utf8');
    try {
      const value = JSON.parse(text) as { manifests?: unknown };
      return Array.isArray(value.manifests) ? (value.manifests as ReferrerDescriptor[]) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Where an upload session stands (`GET <location>`): the session with the offset the remote holds (from its
   * Range header) and its fresh Location, or undefined when the remote no longer knows the session. Lets an
   * interrupted chunked upload resume. Added for replication.
   */
  async uploadStatus(s: UploadSession, opts: CallOptions = {}): Promise<UploadSession | undefined> {
    const res = await this.send({ method: 'GET', target: s.location, scope: push(s.repository), accept: [200, 204, 400, 404], ...opts });
    await drain(res);
    if (res.statusCode === 400 || res.statusCode === 404) return undefined;
    const m = /^(?:bytes=)?0-(\d+)$/.exec(header(res, 'range') ?? '');
    // Distribution reports an empty upload as `0-0`, as it does one byte; our own offset tells them apart.
    const end = m ? Number(m[1]) : -1;
    const offset = end <= 0 && s.offset === 0 ? 0 : end + 1;
    const loc = header(res, 'location');
    return { repository: s.repository, location: loc ? new URL(loc, `${this.apiBase}/`).toString() : s.location, offset };
  }

  // ---- transport ----

  private async json<T>(target: string, scope: string, opts: CallOptions): Promise<{ value: T; next: string | undefined }> {
    const res = await this.send({ method: 'GET', target, scope, accept: [200], ...opts });
    const text = (await readCapped(res, 16 * 1024 * 1024, target)).toString('utf8');
    let value: T;
    try {
      value = JSON.parse(text) as T;
    } catch {
      throw new UpstreamError('invalid', `${target} did not answer JSON`);
    }
    const link = header(res, 'link');
    const next = link ? /[?&]last=([^&>]+)/.exec(link)?.[1] : undefined;
    return { value, next: next && decodeURIComponent(next) };
  }

  /** Sends with auth, retries and redirects; returns a response whose status is in `accept`. */
  private async send(r: Req): Promise<Dispatcher.ResponseData> {
    const retries = r.body && !(typeof r.body === 'function' || Buffer.isBuffer(r.body)) ? 0 : (r.retries ?? this.retries);
    let attempt = 0;
    for (;;) {
      try {
        return await this.sendOnce(r);
      } catch (e) {
        if (!isUpstreamError(e, 'unavailable') || attempt >= retries || r.signal?.aborted) throw e;
        if (e.retryAfterSeconds !== undefined && e.retryAfterSeconds > this.maxRetryAfter) throw e;
        const backoff = this.backoffMs * 2 ** attempt * (0.75 + Math.random() / 2);
        await sleep(Math.max(backoff, (e.retryAfterSeconds ?? 0) * 1000));
        attempt += 1;
      }
    }
  }

  private async sendOnce(r: Req): Promise<Dispatcher.ResponseData> {
    let url = this.absolute(r.target);
    let authTried = false;
    for (let hop = 0; hop < 6; hop++) {
      const sameHost = new URL(url).host === new URL(this.apiBase).host;
      const authorization = sameHost ? await this.auth.header(r.scope) : undefined;
      const headers: Record<string, string> = { 'user-agent': this.userAgent, ...r.headers };
      if (authorization) headers.authorization = authorization;
      let res: Dispatcher.ResponseData;
      try {
        const [{ request }, dispatcher] = await Promise.all([undici(), this.dispatcher()]);
        res = await request(url, {
          method: r.method,
          headers,
          body: typeof r.body === 'function' ? r.body() : r.body,
          dispatcher,
          signal: r.signal,
        });
      } catch (e) {
        if (isUpstreamError(e)) throw e;
        if (isNetworkError(e)) throw new UpstreamError('unavailable', `${this.name}: ${r.method} ${redact(url)}: ${(e as Error).message}`);
        throw new UpstreamError('unavailable', `${this.name}: ${r.method} ${redact(url)} failed: ${(e as Error).message}`);
      }
      const status = res.statusCode;
      if (status === 401 && sameHost && !authTried) {
        authTried = true;
        await drain(res);
        if (this.auth.onUnauthorized(header(res, 'www-authenticate'), r.scope, authorization)) {
          hop -= 1;
          continue;
        }
        throw new UpstreamError('unauthorized', `${this.name} refused the credentials for ${r.method} ${redact(url)}`, 401);
      }
      if ((status === 301 || status === 302 || status === 303 || status === 307 || status === 308) && (r.method === 'GET' || r.method === 'HEAD')) {
        const loc = header(res, 'location');
        await drain(res);
        if (!loc) throw new UpstreamError('invalid', `${this.name} redirected without a Location`, status);
        url = new URL(loc, url).toString();
        continue;
      }
      if (r.accept.includes(status)) return res;
      await drain(res);
      throw statusError(this.name, r.method, url, status, header(res, 'retry-after'));
    }
    throw new UpstreamError('invalid', `${this.name}: too many redirects for ${redact(r.target)}`);
  }

  private absolute(target: string): string {
    return /^https?:\/\//.test(target) ? target : `${this.apiBase}${target}`;
  }

  private location(res: Dispatcher.ResponseData, repo: string): string {
    const loc = header(res, 'location');
    if (!loc) throw new UpstreamError('invalid', `${this.name} started an upload in ${repo} without a Location`);
    return new URL(loc, `${this.apiBase}/`).toString();
  }
}

function statusError(name: string, method: string, url: string, status: number, retryAfter: string | undefined): UpstreamError {
  const what = `${name}: ${method} ${redact(url)} answered ${status}`;
  if (status === 404) return new UpstreamError('not_found', what, status);
  if (status === 401) return new UpstreamError('unauthorized', what, status);
  if (status === 403) return new UpstreamError('denied', what, status);
  if (status === 429 || status >= 500) return new UpstreamError('unavailable', what, status, parseRetryAfter(retryAfter));
  return new UpstreamError('invalid', what, status);
}

function parseRetryAfter(v: string | undefined): number | undefined {
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function header(res: Dispatcher.ResponseData, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function tryDigest(s: string): string | undefined {
  try {
    return parseDigest(s).value;
  } catch {
    return undefined;
  }
}

async function drain(res: Dispatcher.ResponseData): Promise<void> {
  try {
    await res.body.dump({ limit: 64 * 1024 });
  } catch {
    // the connection is discarded; nothing to report
  }
}

/** Content-Length as a number, when the remote sent a sane one. */
function declaredLength(res: Dispatcher.ResponseData): number | undefined {
  const len = Number(header(res, 'content-length'));
  return header(res, 'content-length') !== undefined && Number.isSafeInteger(len) && len >= 0 ? len : undefined;
}

/** A body we will not read: the connection is dropped (destroying undici's body emits an abort error). */
function discard(res: Dispatcher.ResponseData): void {
  res.body.on('error', () => undefined);
  res.body.destroy();
}

function boundsError(what: string): (v: BoundsViolation) => UpstreamError {
  return (v) =>
    new UpstreamError(
      'invalid',
      v.kind === 'longer' ? `${what} is longer than the ${v.limit} bytes expected: dropped after ${v.received}` : `${what} ended after ${v.received} of the ${v.limit} bytes declared`,
    );
}

/** A small body in memory: at most `max` bytes, and exactly Content-Length when the remote declared one. */
async function readCapped(res: Dispatcher.ResponseData, max: number, what: string): Promise<Buffer> {
  const declared = declaredLength(res);
  if (declared !== undefined && declared > max) {
    discard(res);
    throw new UpstreamError('invalid', `${what} is ${declared} bytes, more than the ${max} allowed`);
  }
  const bounds = declared !== undefined ? { max: declared, exact: true } : { max };
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const c of boundedBody(res.body, { ...bounds, error: boundsError(what) }) as AsyncIterable<Buffer>) {
      total += c.length;
      chunks.push(c);
    }
  } catch (e) {
    if (isUpstreamError(e)) throw e;
    throw new UpstreamError('unavailable', `${what}: the body broke off: ${(e as Error).message}`);
  }
  return Buffer.concat(chunks, total);
}

function pull(repo: string): string {
  return `repository:${repo}:pull`;
}

function push(repo: string): string {
  return `repository:${repo}:pull,push`;
}

function query(p: { n?: number; last?: string }): string {
  const q = new URLSearchParams();
  if (p.n !== undefined) q.set('n', String(p.n));
  if (p.last !== undefined) q.set('last', p.last);
  const s = q.toString();
  return s ? `?${s}` : '';
}

function withQuery(url: string, key: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(key, value);
  return u.toString();
}

/** Upload locations can carry state tokens in their query; logs get the path only. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return url.split('?')[0] ?? url;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
