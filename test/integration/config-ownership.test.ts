import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createTestRegistry, tempDir } from '../helpers/test-registry.js';
import { ApiSession } from '../helpers/api-client.js';
import { makeImage } from '../helpers/oci-image.js';
import { pushImage, expectError } from '../helpers/v2-client.js';

/*
 * Issue 12 §1, the ownership rule through the admin API: config-owned definitions are read-only there (409
 * naming the config file); a proxy project dropped from the file is detached and keeps serving its cache
 * read-only until deleted; a name clash is reported while the rest of the file applies and the server starts.
 */

const accept = { accept: 'application/vnd.oci.image.manifest.v1+json' };

test('config-owned definitions are read-only in the API; dropped ones are detached with their cache; clashes are reported', { timeout: 60_000 }, async (t) => {
  const upstream = await createTestRegistry();
  t.after(() => upstream.close());
  const img = await makeImage();
  await pushImage(upstream, 'library/app', '1', img);
  const data = tempDir('berth-own-');
  t.after(() => fs.rmSync(data, { recursive: true, force: true }));
  const declared = {
    data,
    registries: [{ name: 'hq', url: upstream.url, username: 'admin' }],
    proxies: [{ project: 'hub', registry: 'hq', public: true }],
    replication: [{ name: 'from-hq', registry: 'hq', direction: 'pull' as const, repositories: ['library/**'] }],
  };
  let reg = await createTestRegistry(declared);
  t.after(() => reg.close());
  assert.deepEqual(reg.server.reconciled.changed, ['registry hq added', 'proxy project hub added', 'replication rule from-hq added']);
  let s = await ApiSession.login(reg);
  await s.call('PATCH', '/registries/hq', { password: 'test-admin-pw' }).then((r) => assert.equal(r.status, 200, 'the password is not in the file: it may be set'));
  const pulled = await reg.fetch('/v2/hub/library/app/manifests/1', { headers: accept, auth: false });
  assert.equal(pulled.status, 200, 'anonymous pull through the proxy');

  for (const [method, path, body] of [
    ['PATCH', '/registries/hq', { offline: true }],
    ['DELETE', '/registries/hq', undefined],
    ['PATCH', '/proxies/hub', { ttlSeconds: 60 }],
    ['DELETE', '/proxies/hub', undefined],
    ['PUT', '/replication/rules/from-hq', { ...declared.replication[0], tags: ['v*'] }],
    ['DELETE', '/replication/rules/from-hq', undefined],
  ] as const) {
    const r = await s.call(method, path, body);
    assert.equal(r.status, 409, `${method} ${path}: ${JSON.stringify(r.body)}`);
    assert.match(r.body.error.message, /is defined in the config file/);
  }
  assert.equal((await s.call('GET', '/proxies')).body.items[0].source, 'file');

  // The same folder with a file that drops everything and declares a proxy over a project of pushed images.
  await pushImage(reg, 'apps/web', '1', await makeImage());
  await reg.close();
  reg = await createTestRegistry({ data, registries: [{ name: 'hq2', url: upstream.url }], proxies: [{ project: 'apps', registry: 'hq2' }] });
  const report = reg.server.reconciled;
  assert.match(report.refused.join('\n'), /proxy project apps: project apps holds pushed repositories/);
  assert.ok(report.changed.includes('registry hq2 added'), 'the rest of the file applied');
  assert.match(report.changed.join('\n'), /proxy project hub detached/);
  assert.match(report.changed.join('\n'), /registry hq detached/);
  assert.ok(report.changed.includes('replication rule from-hq removed: no longer in the config file'));

  await upstream.close();
  const cached = await reg.fetch('/v2/hub/library/app/manifests/1', { headers: accept, auth: false });
  assert.equal(cached.status, 200, 'the detached cache is served, anonymously, with the upstream gone');
  await expectError(await reg.fetch('/v2/hub/library/other/manifests/1', { headers: accept }), 404, 'NAME_UNKNOWN'); // nothing is fetched
  await expectError(await reg.fetch('/v2/hub/library/app/manifests/2', { method: 'PUT', headers: { 'content-type': img.manifest.mediaType }, body: img.manifest.bytes }), 403, 'DENIED');

  s = await ApiSession.login(reg);
  const hub = (await s.call('GET', '/proxies')).body.items.find((p: { project: string }) => p.project === 'hub');
  assert.deepEqual([hub.source, hub.detached], ['file', true]);
  const patched = await s.call('PATCH', '/proxies/hub', { ttlSeconds: 60 });
  assert.equal(patched.status, 409);
  assert.match(patched.body.error.message, /detached/);
  assert.equal((await s.call('DELETE', '/proxies/hub')).status, 204, 'an admin deletes a detached proxy explicitly');
  assert.equal((await s.call('DELETE', '/registries/hq')).status, 204);
  const kept = await reg.fetch('/v2/hub/library/app/manifests/1', { headers: accept });
  assert.equal(kept.status, 200, 'deleting the proxy keeps its images as an ordinary project');
});
