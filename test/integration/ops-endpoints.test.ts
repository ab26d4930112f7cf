import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestRegistry, type TestRegistry } from '../helpers/test-registry.js';
import { makeImage, type Image } from '../helpers/oci-image.js';
import { pushImage } from '../helpers/v2-client.js';

let reg: TestRegistry;
let img: Image;
before(async () => {
  reg = await createTestRegistry();
  img = await makeImage({ layers: 2 });
  await pushImage(reg, 'ops/app', 'v1', img);
});
after(() => reg.close());

test('/healthz and /readyz answer without credentials', async () => {
  const h = await reg.fetch('/healthz', { auth: false });
  assert.equal(h.status, 200);
  assert.deepEqual(await h.json(), { status: 'ok' });
  const r = await reg.fetch('/readyz', { auth: false });
  assert.equal(r.status, 200);
  const ready = (await r.json()) as { status: string; disk: { low: boolean; reserveBytes: number; freeBytes: number } };
  assert.equal(ready.status, 'ready');
  assert.equal(ready.disk.low, false);
  assert.equal(ready.disk.reserveBytes, 1024 * 1024);
  assert.ok(ready.disk.freeBytes > 0);
});

test('every response carries a request id; a sane incoming one is kept', async () => {
  const r = await reg.fetch('/v2/');
  assert.match(r.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  const mine = await reg.fetch('/v2/', { headers: { 'x-request-id': 'trace-42' } });
  assert.equal(mine.headers.get('x-request-id'), 'trace-42');
  const hostile = await reg.fetch('/v2/', { headers: { 'x-request-id': 'a b\tc{}' } });
  assert.notEqual(hostile.headers.get('x-request-id'), 'a b\tc{}');
});

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

test('/metrics exposes request counters, latency, bytes and storage gauges', async () => {
  await (await reg.fetch('/v2/ops/app/manifests/v1')).arrayBuffer();
  await (await reg.fetch('/v2/ops/app/manifests/nope')).arrayBuffer();
  await (await reg.fetch(`/v2/ops/app/blobs/${img.layers[0]!.digest}`)).arrayBuffer();
  // Counters are recorded when the response closes, which may be just after the client has the body: wait
  // (bounded) until the blob GET, the last of them, shows.
  let text = '';
  for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
    const m = await reg.fetch('/metrics', { auth: false });
    assert.equal(m.status, 200);
    assert.match(m.headers.get('content-type') ?? '', /text\/plain/);
    text = await m.text();
    if ((sample(text, 'berth_http_request_duration_seconds_count', { route: 'v2_blobs' }) ?? 0) >= 1) break;
  }
  assert.ok((sample(text, 'berth_http_requests_total', { method: 'GET', route: 'v2_manifests', status: '200' }) ?? 0) >= 1, 'manifest 200s counted');
  assert.ok((sample(text, 'berth_http_requests_total', { method: 'GET', route: 'v2_manifests', status: '404' }) ?? 0) >= 1, 'manifest 404s counted');
  assert.ok((sample(text, 'berth_http_requests_total', { method: 'PUT', route: 'v2_manifests', status: '201' }) ?? 0) >= 1, 'pushes counted');
  assert.ok((sample(text, 'berth_http_request_duration_seconds_count', { route: 'v2_blobs' }) ?? 0) >= 1, 'latency histogram');
  assert.ok((sample(text, 'berth_http_bytes_sent_total') ?? 0) >= img.layers[0]!.size, 'bytes out');
  assert.ok((sample(text, 'berth_http_bytes_received_total') ?? 0) >= img.layers[0]!.size, 'bytes in');
  const stored = img.config.size + img.layers.reduce((n, l) => n + l.size, 0) + img.manifest.size;
  assert.equal(sample(text, 'berth_storage_bytes'), stored);
  assert.equal(sample(text, 'berth_storage_blobs'), 4);
  assert.equal(sample(text, 'berth_repositories'), 1);
});
