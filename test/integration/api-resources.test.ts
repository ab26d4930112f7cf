import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestRegistry, type TestRegistry } from '../helpers/test-registry.js';
import { ApiSession, assertMatchesSchema, pushImage } from '../helpers/api-client.js';
import { makeImage, makeIndex, makeArtifact, type Image } from '../helpers/oci-image.js';

describe('admin API resources', () => {
  let reg: TestRegistry;
  let s: ApiSession;
  let amd64: Image;
  let arm64: Image;
  let indexDigest: string;
  let sbomDigest: string;

  before(async () => {
    reg = await createTestRegistry();
    s = await ApiSession.login(reg);
    amd64 = await makeImage({ arch: 'amd64', layers: 2 });
    arm64 = await makeImage({ arch: 'arm64' });
    await pushImage(reg, 'team/app', 'amd64-only', amd64);
    await pushImage(reg, 'team/app', 'arm64-only', arm64);
    const index = makeIndex([{ image: amd64, arch: 'amd64' }, { image: arm64, arch: 'arm64' }]);
    indexDigest = index.digest;
    const put = await reg.fetch('/v2/team/app/manifests/1.0', { method: 'PUT', body: index.bytes, headers: { 'content-type': index.mediaType } });
    assert.equal(put.status, 201);
    const sbom = makeArtifact({ artifactType: 'application/spdx+json', subject: index, payload: Buffer.from('{}') });
    sbomDigest = sbom.manifest.digest;
    for (const b of sbom.blobs) {
      await reg.fetch(`/v2/team/app/blobs/uploads/?digest=${b.digest}`, { method: 'POST', body: b.bytes, headers: { 'content-type': 'application/octet-stream' } });
    }
    assert.equal((await reg.fetch(`/v2/team/app/manifests/${sbomDigest}`, { method: 'PUT', body: sbom.manifest.bytes, headers: { 'content-type': sbom.manifest.mediaType } })).status, 201);
    await pushImage(reg, 'library/alpine', 'latest', await makeImage());
  });
  after(() => reg.close());

  test('system reports version, storage from statfs of the data folder, counts', async () => {
    const r = await s.call('GET', '/system');
    assert.equal(r.status, 200);
    assertMatchesSchema('get', '/system', r.body);
    assert.match(r.body.version, /^\d+\.\d+\.\d+/);
    assert.equal(r.body.registryHost, reg.host);
    assert.equal(r.body.insecure, true);
    assert.equal(r.body.counts.repositories, 2);
    assert.equal(r.body.counts.manifests, 5);
    assert.ok(r.body.storage.berthBytes > 0);
    assert.ok(r.body.storage.fsTotalBytes > r.body.storage.fsFreeBytes && r.body.storage.fsFreeBytes > 0);
    assert.equal(r.body.storage.dataDir, reg.data);
  });

  test('repositories: list with counts, sizes, last push; filter and paging', async () => {
    const r = await s.call('GET', '/repositories');
    assertMatchesSchema('get', '/repositories', r.body);
    assert.deepEqual(r.body.items.map((x: { name: string }) => x.name), ['library/alpine', 'team/app']);
    const app = r.body.items[1];
    assert.equal(app.tagCount, 3);
    assert.equal(app.manifestCount, 4);
    const expectedBytes = [amd64, arm64].reduce((n, img) => n + img.manifest.size + img.config.size + img.layers.reduce((m, l) => m + l.size, 0), 0);
    assert.ok(app.bytes > expectedBytes, `size ${app.bytes} counts manifests and layers (> ${expectedBytes})`);
    assert.ok(app.lastPushedAt > Date.now() - 60_000);
    const filtered = await s.call('GET', '/repositories?q=alp');
    assert.deepEqual(filtered.body.items.map((x: { name: string }) => x.name), ['library/alpine']);
    const like = await s.call('GET', '/repositories?q=%25');
    assert.equal(like.body.total, 0, 'a % in the filter is literal, not a wildcard');
    const paged = await s.call('GET', '/repositories?limit=1&offset=1');
    assert.equal(paged.body.total, 2);
    assert.deepEqual(paged.body.items.map((x: { name: string }) => x.name), ['team/app']);
  });

  test('repository detail: tags and manifests with sizes, index totals, referrer counts', async () => {
    const r = await s.call('GET', '/repositories/team%2Fapp');
    assert.equal(r.status, 200);
    assertMatchesSchema('get', '/repositories/{name}', r.body);
    assert.deepEqual(r.body.tags.map((t: { name: string }) => t.name).sort(), ['1.0', 'amd64-only', 'arm64-only']);
    const idx = r.body.manifests.find((m: { digest: string }) => m.digest === indexDigest);
    assert.equal(idx.isIndex, true);
    assert.deepEqual(idx.tags, ['1.0']);
    assert.equal(idx.referrerCount, 1);
    const img = r.body.manifests.find((m: { digest: string }) => m.digest === amd64.manifest.digest);
    assert.equal(img.totalBytes, amd64.manifest.size + amd64.config.size + amd64.layers.reduce((n, l) => n + l.size, 0));
    assert.equal(idx.totalBytes, idx.size + img.totalBytes + (arm64.manifest.size + arm64.config.size + arm64.layers[0]!.size));
    const missing = await s.call('GET', '/repositories/team%2Fnope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.id, 'repository_not_found');
  });

  test('artifact detail: platforms of an index, layers and platform of an image, referrers', async () => {
    const r = await s.call('GET', `/repositories/team%2Fapp/manifests/${indexDigest}`);
    assert.equal(r.status, 200);
    assertMatchesSchema('get', '/repositories/{name}/manifests/{digest}', r.body);
    assert.deepEqual(r.body.children.map((c: { platform: { architecture: string } }) => c.platform.architecture), ['amd64', 'arm64']);
    assert.ok(r.body.children.every((c: { present: boolean }) => c.present));
    assert.deepEqual(r.body.referrers.map((x: { digest: string; artifactType: string }) => [x.digest, x.artifactType]), [[sbomDigest, 'application/spdx+json']]);
    const img = await s.call('GET', `/repositories/team%2Fapp/manifests/${amd64.manifest.digest}`);
    assert.deepEqual(img.body.platform, { os: 'linux', architecture: 'amd64' });
    assert.deepEqual(img.body.layers.map((l: { digest: string }) => l.digest), amd64.layers.map((l) => l.digest));
    assert.equal(img.body.config.digest, amd64.config.digest);
    assert.deepEqual(img.body.parents, [indexDigest]);
    assert.equal(img.body.imageCreated, '2026-01-01T00:00:00Z');
    const bad = await s.call('GET', '/repositories/team%2Fapp/manifests/sha256:nothex');
    assert.equal(bad.body.error.field, 'digest');
  });

  test('the admin API reading an artifact does not count as a pull', async () => {
    reg.server.core.registry.flush();
    const before = (await s.call('GET', '/repositories/team%2Fapp')).body.lastPulledAt;
    await s.call('GET', `/repositories/team%2Fapp/manifests/${indexDigest}`);
    reg.server.core.registry.flush();
    assert.equal((await s.call('GET', '/repositories/team%2Fapp')).body.lastPulledAt, before);
  });

  test('pulls over time come from the batched recorder; every step is present', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await reg.fetch('/v2/library/alpine/manifests/latest', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(r.status, 200);
      await r.arrayBuffer();
    }
    const r = await s.call('GET', '/metrics/summary?range=24h');
    assertMatchesSchema('get', '/metrics/summary', r.body);
    assert.equal(r.body.pulls.length, 24);
    assert.equal(r.body.totalPulls, 3);
    assert.equal(r.body.pulls.at(-1).count, 3);
    assert.deepEqual(r.body.topRepositories, [{ repository: 'library/alpine', count: 3 }]);
    const week = await s.call('GET', '/metrics/summary');
    assert.equal(week.body.pulls.length, 7);
    assert.equal(week.body.pulls.at(-1).count, 3);
    assert.equal((await s.call('GET', '/metrics/summary?range=1y')).body.error.field, 'range');
    const repo = await s.call('GET', '/repositories?q=alpine');
    assert.ok(repo.body.items[0].lastPulledAt > Date.now() - 60_000);
  });

  test('delete a tag, then a manifest; both land in the audit log with the actor', async () => {
    assert.equal((await s.call('DELETE', '/repositories/team%2Fapp/tags/arm64-only')).status, 204);
    assert.equal((await s.call('DELETE', '/repositories/team%2Fapp/tags/arm64-only')).body.error.id, 'manifest_not_found');
    assert.equal((await s.call('DELETE', `/repositories/team%2Fapp/manifests/${sbomDigest}`)).status, 204);
    assert.equal((await reg.fetch(`/v2/team/app/manifests/${sbomDigest}`)).status, 404);
    const audit = await s.call('GET', '/audit?limit=2');
    assertMatchesSchema('get', '/audit', audit.body);
    assert.deepEqual(audit.body.items.map((e: { type: string; actor: string }) => [e.type, e.actor]), [['manifest.deleted', 'admin'], ['tag.deleted', 'admin']]);
    assert.equal(typeof audit.body.next, 'number');
    const older = await s.call('GET', `/audit?limit=50&before=${audit.body.next}`);
    assert.ok(older.body.items.every((e: { id: number }) => e.id < audit.body.next));
    assert.ok(older.body.items.some((e: { type: string }) => e.type === 'manifest.pushed'));
    const onlyTags = await s.call('GET', '/audit?typePrefix=tag.');
    assert.deepEqual(onlyTags.body.items.map((e: { type: string }) => e.type), ['tag.deleted']);
    const byRepo = await s.call('GET', '/audit?repository=library%2Falpine');
    assert.ok(byRepo.body.items.length > 0 && byRepo.body.items.every((e: { repository: string }) => e.repository === 'library/alpine'));
  });

  test('users: create, change role, disable, set password, delete; the last admin is protected', async () => {
    const created = await s.call('POST', '/users', { username: 'ops', password: 'ops-password', role: 'developer' });
    assert.equal(created.status, 201);
    assertMatchesSchema('post', '/users', created.body);
    assert.equal((await s.call('POST', '/users', { username: 'ops', password: 'ops-password', role: 'developer' })).body.error.id, 'conflict');
    assert.equal((await s.call('PATCH', '/users/ops', { role: 'guest' })).body.role, 'guest');
    assert.equal((await s.call('PATCH', '/users/ops', {})).body.error.id, 'validation_failed');
    assert.equal((await s.call('PATCH', '/users/ops', { colour: 'red' })).body.error.id, 'validation_failed');
    assert.equal((await s.call('PATCH', '/users/ops', { password: 'a-new-password' })).status, 200);
    const login = await ApiSession.login(reg, 'ops', 'a-new-password');
    assert.equal((await login.call('GET', '/me')).body.user.role, 'guest');
    assert.equal((await s.call('PATCH', '/users/ops', { disabled: true })).body.disabled, true);
    assert.equal((await new ApiSession(reg).call('POST', '/session', { username: 'ops', password: 'a-new-password' })).status, 401);
    const list = await s.call('GET', '/users');
    assertMatchesSchema('get', '/users', list.body);
    assert.deepEqual(list.body.items.map((u: { username: string }) => u.username), ['admin', 'ops']);
    assert.equal((await s.call('PATCH', '/users/admin', { role: 'guest' })).body.error.id, 'conflict');
    assert.equal((await s.call('PATCH', '/users/admin', { disabled: true })).body.error.id, 'conflict');
    assert.equal((await s.call('DELETE', '/users/admin')).body.error.id, 'conflict');
    assert.equal((await s.call('DELETE', '/users/ops')).status, 204);
    assert.equal((await s.call('DELETE', '/users/ops')).body.error.id, 'user_not_found');
  });

  test('me: change your own password with the current one', async () => {
    await s.call('POST', '/users', { username: 'self', password: 'first-password', role: 'guest' });
    const me = await ApiSession.login(reg, 'self', 'first-password');
    const wrong = await me.call('PUT', '/me/password', { currentPassword: 'nope-nope', newPassword: 'second-password' });
    assert.equal(wrong.body.error.field, 'currentPassword');
    assert.equal((await me.call('PUT', '/me/password', { currentPassword: 'first-password', newPassword: 'second-password' })).status, 204);
    assert.equal((await me.call('GET', '/me')).status, 200, 'the session that changed it stays signed in');
    await ApiSession.login(reg, 'self', 'second-password');
  });

  test('projects: make one public and anonymous pulls work', async () => {
    assert.equal((await reg.fetch('/v2/team/app/manifests/1.0', { auth: false })).status, 401);
    const r = await s.call('PATCH', '/projects/team', { public: true });
    assert.equal(r.status, 200);
    assertMatchesSchema('patch', '/projects/{name}', r.body);
    assert.equal((await reg.fetch('/v2/team/app/manifests/1.0', { auth: false, headers: { accept: 'application/vnd.oci.image.index.v1+json' } })).status, 200);
    assert.equal((await s.call('PATCH', '/projects/nope', { public: true })).body.error.id, 'project_not_found');
    const list = await s.call('GET', '/projects');
    assert.deepEqual(list.body.items.map((p: { name: string; public: boolean }) => [p.name, p.public]), [['library', true], ['team', true]]);
  });

  test('gc: dry run and real run report results; the last one is kept', async () => {
    assert.equal((await s.call('GET', '/gc')).body.last, null);
    const dry = await s.call('POST', '/gc', { dryRun: true });
    assertMatchesSchema('post', '/gc', dry.body);
    assert.equal(dry.body.dryRun, true);
    const run = await s.call('POST', '/gc', {});
    assert.equal(run.body.dryRun, false);
    const status = await s.call('GET', '/gc');
    assertMatchesSchema('get', '/gc', status.body);
    assert.equal(status.body.running, false);
    assert.equal(status.body.last.result.dryRun, false);
    assert.equal(status.body.last.result.durationMs, run.body.durationMs);
  });

  test('server-sent events stream pushes and GC as they happen', async () => {
    const controller = new AbortController();
    const res = await reg.fetch('/api/v1/events', { headers: { cookie: s.cookie }, auth: false, signal: controller.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const until = async (re: RegExp) => {
      const deadline = Date.now() + 5000;
      while (!re.test(text)) {
        assert.ok(Date.now() < deadline, `no ${re} in ${text}`);
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
    };
    await until(/: connected/);
    await pushImage(reg, 'library/live', 'v1', await makeImage());
    await until(/event: manifest\.pushed\ndata: \{[^\n]*"repository":"library\/live"/);
    await s.call('POST', '/gc', { dryRun: true });
    await until(/event: gc\.finished/);
    controller.abort();
    await reader.cancel().catch(() => undefined);
  });
});
