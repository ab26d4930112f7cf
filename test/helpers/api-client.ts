import assert from 'node:assert/strict';
import type { TestRegistry } from './test-registry.js';
import { ADMIN_PASSWORD } from './test-registry.js';
import { coreRoutes } from '../../registry/src/http/api/index.js';
import type { Image } from './oci-image.js';

/** A browser-like admin API session: cookie jar + CSRF token, as the GUI uses it. */
export class ApiSession {
  cookie = '';
  csrf: string | null = null;
  constructor(readonly reg: TestRegistry) {}

  static async login(reg: TestRegistry, username = 'admin', password = ADMIN_PASSWORD): Promise<ApiSession> {
    const s = new ApiSession(reg);
    const r = await s.call('POST', '/session', { username, password });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return s;
  }

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const h: Record<string, string> = { ...headers };
    if (this.cookie) h.cookie = this.cookie;
    if (this.csrf && method !== 'GET' && !('x-csrf-token' in h)) h['x-csrf-token'] = this.csrf;
    if (body !== undefined) h['content-type'] ??= 'application/json';
    const res = await this.reg.fetch(`/api/v1${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), auth: false });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0]!;
    const text = await res.text();
    const json = text ? JSON.parse(text) : undefined;
    if (json && typeof json === 'object' && 'csrfToken' in json) this.csrf = json.csrfToken;
    return { status: res.status, body: json, headers: res.headers };
  }
}

/** Checks a response body against the route's documented zod schema (what the OpenAPI document says). */
export function assertMatchesSchema(method: string, path: string, body: unknown): void {
  const route = coreRoutes.find((r) => r.method === method && r.path === path);
  assert.ok(route?.response, `no documented response for ${method} ${path}`);
  const r = route.response.safeParse(body);
  assert.ok(r.success, `${method} ${path} response does not match its schema: ${r.success ? '' : JSON.stringify(r.error.issues.slice(0, 3))}`);
}

/** Pushes an image over /v2 with admin Basic credentials. */
export async function pushImage(reg: TestRegistry, repo: string, tag: string, img: Image): Promise<void> {
  for (const b of [img.config, ...img.layers]) {
    const r = await reg.fetch(`/v2/${repo}/blobs/uploads/?digest=${b.digest}`, { method: 'POST', body: b.bytes, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(r.status, 201, await r.text());
  }
  const put = await reg.fetch(`/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: img.manifest.bytes, headers: { 'content-type': img.manifest.mediaType } });
  assert.equal(put.status, 201, await put.text());
}
