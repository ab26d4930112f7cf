import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestRegistry } from '../helpers/test-registry.js';
import { ApiSession, pushImage } from '../helpers/api-client.js';
import { startDistribution } from '../helpers/docker-registry.js';
import { seedImage, tagsOf } from '../helpers/replication.js';
import { makeImage } from '../helpers/oci-image.js';
import { replicationRoutes } from '../../registry/src/http/api/replication.js';
import { proxyViewSchema } from '../../registry/src/http/api/proxies.js';
import { registryViewSchema } from '../../registry/src/http/api/registries.js';

/*
 * The admin API of replication, offline transfer, remote registries and proxy caches, against a real
 * Distribution registry: the routes the GUI pages use, their validation and their errors.
 */

async function waitFor<T>(fn: () => Promise<T | undefined>, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('admin API: registries, replication rules, preview, run, history; proxies; export and import', { timeout: 60_000 }, async () => {
  const hq = await startDistribution();
  const reg = await createTestRegistry();
  try {
    await seedImage(hq.host, 'apps/web', '1.0');
    await seedImage(hq.host, 'apps/web', '2.0');
    await seedImage(hq.host, 'other/db', '1.0');
    const s = await ApiSession.login(reg);

    // Registries: create with a password (never echoed), bad input named, test the connection.
    let r = await s.call('POST', '/registries', { name: 'HQ', url: hq.url });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'name');
    r = await s.call('POST', '/registries', { name: 'hq', url: hq.url, insecure: true, username: 'robot', password: 's3cret-pw' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.ok(registryViewSchema.safeParse(r.body).success);
    assert.equal(r.body.hasPassword, true);
    assert.ok(!JSON.stringify(r.body).includes('s3cret-pw'));
    assert.equal((await s.call('POST', '/registries', { name: 'hq', url: hq.url })).status, 409);
    r = await s.call('POST', '/registries/hq/test');
    assert.equal(r.status, 200);
    assert.equal(r.body.reachable, true, JSON.stringify(r.body));
    // PATCH changes only what it names (offline), nothing else is reset to its default.
    r = await s.call('PATCH', '/registries/hq', { offline: true });
    assert.equal(r.body.offline, true);
    assert.equal(r.body.insecure, true);
    assert.equal(r.body.username, 'robot');
    r = await s.call('PATCH', '/registries/hq', { offline: false, password: null });
    assert.equal(r.body.hasPassword, false);

    // Replication: validation, draft preview, create, preview, run, history with tasks.
    const rule = { name: 'from-hq', registry: 'hq', direction: 'pull', repositories: ['apps/**'], tags: ['1.*'], destination: 'mirror' };
    r = await s.call('POST', '/replication/rules', { ...rule, schedule: 'every night' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'schedule');
    r = await s.call('POST', '/replication/rules', { ...rule, registry: 'nowhere' });
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /registry nowhere is not configured/);
    r = await s.call('POST', '/replication/preview', rule);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.items.map((i: any) => `${i.destination.repository}:${i.destination.tag} ${i.action}`), ['mirror/apps/web:1.0 copy']);
    r = await s.call('POST', '/replication/rules', rule);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal((await s.call('POST', '/replication/rules', rule)).status, 409);
    r = await s.call('GET', '/replication/rules/from-hq/preview');
    assert.equal(r.body.items.length, 1);
    r = await s.call('POST', '/replication/rules/from-hq/run');
    assert.equal(r.status, 202);
    const id = r.body.executionId as number;
    const done = await waitFor(async () => {
      const e = await s.call('GET', `/replication/executions/${id}`);
      return e.body.execution.status === 'running' ? undefined : e.body;
    }, 'the replication run');
    assert.equal(done.execution.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.execution.copied, 1);
    assert.deepEqual(done.tasks.map((t: any) => [t.destination, t.status]), [['mirror/apps/web:1.0', 'succeeded']]);
    r = await s.call('GET', '/replication/executions?rule=from-hq');
    assert.deepEqual(r.body.items.map((e: any) => e.id), [id]);
    r = await s.call('GET', '/replication/rules');
    assert.equal(r.body.items[0].lastExecution.id, id);
    for (const rt of replicationRoutes({} as never)) assert.ok(rt.path.startsWith('/replication/'));
    assert.equal((await s.call('PUT', '/replication/rules/from-hq', { ...rule, tags: ['*'] })).body.rule.tags[0], '*');
    assert.equal((await s.call('GET', '/replication/executions/999999')).status, 404);
    // A registry in use cannot be deleted.
    assert.equal((await s.call('DELETE', '/registries/hq')).status, 409);

    // Proxies: create, cache stats, bad registry, PATCH keeps the rest.
    r = await s.call('POST', '/proxies', { project: 'hq-cache', registry: 'nowhere' });
    assert.equal(r.status, 400);
    r = await s.call('POST', '/proxies', { project: 'hq-cache', registry: 'hq', cacheMaxBytes: 10_000_000 });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const pulled = await reg.fetch('/v2/hq-cache/other/db/manifests/1.0', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(pulled.status, 200);
    await pulled.arrayBuffer();
    r = await s.call('GET', '/proxies');
    assert.ok(proxyViewSchema.safeParse(r.body.items[0]).success);
    assert.equal(r.body.items[0].misses >= 1, true);
    assert.ok(r.body.items[0].cacheBytes > 0);
    r = await s.call('PATCH', '/proxies/hq-cache', { ttlSeconds: 3600 });
    assert.equal(r.body.cacheMaxBytes, 10_000_000);
    assert.equal(r.body.ttlSeconds, 3600);

    // Transfer: preview, a refused empty selection, a download, and that download imported elsewhere.
    await pushImage(reg, 'team/tool', 'v1', await makeImage());
    r = await s.call('POST', '/transfer/export/preview', { repositories: ['team/**'] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.images.map((i: any) => `${i.repository}:${i.tag}`), ['team/tool:v1']);
    r = await s.call('GET', '/transfer/export?repository=nothing/**');
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /nothing matches/);
    const dl = await reg.fetch('/api/v1/transfer/export?repository=team/**&compression=gzip');
    assert.equal(dl.status, 200);
    assert.match(dl.headers.get('content-disposition') ?? '', /attachment; filename="berth-bundle-.*\.tar\.gz"/);
    const bundle = Buffer.from(await dl.arrayBuffer());
    const other = await createTestRegistry();
    try {
      const o = await ApiSession.login(other);
      const up = await o.call('POST', '/transfer/import?filename=site.tar.gz', undefined, {});
      assert.equal(up.status, 400, 'an empty upload is refused');
      const imp = await other.fetch('/api/v1/transfer/import?filename=site%20bundle.tar.gz', { method: 'POST', body: bundle, headers: { 'content-type': 'application/octet-stream' } });
      const rep = (await imp.json()) as any;
      assert.equal(imp.status, 200, JSON.stringify(rep));
      assert.deepEqual(rep.reports[0].images, ['team/tool:v1']);
      assert.deepEqual(rep.reports[0].inputs, ['site_bundle.tar.gz']);
      const bad = await other.fetch('/api/v1/transfer/import?filename=junk.tar', { method: 'POST', body: Buffer.from('not a tar at all'.repeat(100)), headers: { 'content-type': 'application/octet-stream' } });
      assert.equal(bad.status, 400);
      const act = await o.call('GET', '/transfer/activity');
      assert.deepEqual(act.body.items.map((a: any) => a.state), ['failed', 'done']);
    } finally {
      await other.close();
    }
    assert.deepEqual(await tagsOf(hq.url, 'apps/web'), ['1.0', '2.0']);
    // Non-admins may not touch any of it.
    assert.equal((await reg.fetch('/api/v1/replication/rules', { auth: false })).status, 401);
  } finally {
    await reg.close();
    await hq.stop();
  }
});
