import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startDistribution } from '../helpers/docker-registry.js';
import { seedImage, seedIndexWithReferrer, tagsOf, digestOf, replicationCore } from '../helpers/replication.js';
import type { BerthEvents } from '../../registry/src/events/event-bus.js';

/*
 * Replication against two real registries (Debian's docker-registry): headquarters (pull from) and a second
 * site (push to), with Berth in between.
 */

test('pull with filters, index + referrers, no-change rerun, then push with prefix to a second site', async (t) => {
  const hq = await startDistribution();
  const site = await startDistribution();
  t.after(() => Promise.all([hq.stop(), site.stop()]));
  for (const tag of ['1.35', '1.36', 'latest', '2.0']) await seedImage(hq.host, 'library/busybox', tag);
  const web = await seedIndexWithReferrer(hq.host, 'apps/web', 'v1');
  await seedImage(hq.host, 'apps/internal/secret', 'v1');

  const core = replicationCore({
    registries: [
      { name: 'hq', url: hq.url },
      { name: 'site', url: site.url },
    ],
    replication: [
      { name: 'from-hq', registry: 'hq', direction: 'pull', repositories: ['library/busybox', 'apps/**', '!apps/internal/**'], tags: ['1.*', 'v*'], destination: 'mirror' },
      { name: 'to-site', registry: 'site', direction: 'push', repositories: ['mirror/**'], destination: 'site-a', flatten: 1 },
    ],
  });
  t.after(() => {
    core.close();
    fs.rmSync(core.config.data, { recursive: true, force: true });
  });
  const seen: (keyof BerthEvents)[] = [];
  core.events.onAny((name) => seen.push(name));

  const preview = await core.replication.preview('from-hq');
  assert.deepEqual(preview.repositories, ['apps/web', 'library/busybox']);
  assert.deepEqual(
    preview.items.map((i) => `${i.action} ${i.destination.repository}:${i.destination.tag}`).sort(),
    ['copy mirror/apps/web:v1', 'copy mirror/library/busybox:1.35', 'copy mirror/library/busybox:1.36'],
  );

  const first = await core.replication.run('from-hq');
  assert.equal(first.execution.status, 'succeeded', first.execution.error ?? '');
  assert.equal(first.execution.copied, 3);
  assert.ok(first.execution.bytes > 0);
  const reg = core.registry;
  assert.deepEqual(reg.content.tags('mirror/library/busybox', undefined, undefined).items, ['1.35', '1.36']);
  assert.equal(reg.manifests.resolve('mirror/apps/web', 'v1').row.digest, web.index.digest, 'index digest preserved');
  for (const child of [web.amd, web.arm]) assert.ok(reg.manifests.resolve('mirror/apps/web', child.manifest.digest));
  const refs = reg.content.referrers('mirror/apps/web', web.index.digest, undefined).manifests;
  assert.deepEqual(refs.map((r) => r.digest), [web.sbom.manifest.digest], 'the SBOM came along through the referrers tag schema');
  assert.equal(reg.ctx.meta.repositories.get('mirror/apps/internal/secret'), undefined, 'exclusion held');
  assert.equal(reg.ctx.meta.repositories.get('mirror/apps/web')!.name, 'mirror/apps/web');
  assert.ok(seen.includes('replication.started') && seen.includes('replication.finished') && seen.includes('manifest.pushed'));
  const tasks = core.replication.execution(first.execution.id).tasks;
  assert.equal(tasks.length, 3);
  assert.ok(tasks.every((x) => x.status === 'succeeded' && x.digest));

  const t0 = Date.now();
  const again = await core.replication.run('from-hq');
  assert.equal(again.execution.status, 'succeeded');
  assert.equal(again.execution.copied, 0, 'nothing new: nothing copied');
  assert.equal(again.execution.bytes, 0);
  assert.equal(again.execution.skipped, 3);
  assert.ok(Date.now() - t0 < 3000, `rerun took ${Date.now() - t0} ms`);

  // A new tag at headquarters: only it moves.
  await seedImage(hq.host, 'library/busybox', '1.37');
  const third = await core.replication.run('from-hq');
  assert.equal(third.execution.copied, 1);
  assert.deepEqual(reg.content.tags('mirror/library/busybox', undefined, undefined).items, ['1.35', '1.36', '1.37']);

  // Push everything mirrored to the second site under site-a/, dropping the `mirror` level.
  const push = await core.replication.run('to-site');
  assert.equal(push.execution.status, 'succeeded', push.execution.error ?? '');
  assert.deepEqual(await tagsOf(site.url, 'site-a/library/busybox'), ['1.35', '1.36', '1.37']);
  assert.equal(await digestOf(site.url, 'site-a/apps/web', 'v1'), web.index.digest);
  assert.equal(await digestOf(site.url, 'site-a/apps/web', web.sbom.manifest.digest), web.sbom.manifest.digest);
  const fallback = await fetch(`${site.url}/v2/site-a/apps/web/manifests/${web.index.digest.replace(':', '-')}`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
  assert.equal(fallback.status, 200, 'the site has no referrers API: Berth wrote the tag schema index');
  assert.deepEqual(((await fallback.json()) as { manifests: { digest: string }[] }).manifests.map((m) => m.digest), [web.sbom.manifest.digest]);
  const pushAgain = await core.replication.run('to-site');
  assert.equal(pushAgain.execution.copied, 0);
  assert.equal(pushAgain.execution.bytes, 0);
});

test('semver, latestN by push time, deleteRemoved and override off', async (t) => {
  const site = await startDistribution();
  t.after(() => site.stop());
  const core = replicationCore({
    registries: [{ name: 'site', url: site.url }],
    replication: [{ name: 'rel', registry: 'site', direction: 'push', repositories: ['team/app'], semver: '>=1.2 <2', latestN: 2, deleteRemoved: true, override: false }],
  });
  t.after(() => {
    core.close();
    fs.rmSync(core.config.data, { recursive: true, force: true });
  });
  const { makeImage } = await import('../helpers/oci-image.js');
  const push = async (tag: string) => {
    const img = await makeImage();
    for (const b of [img.config, ...img.layers]) {
      const { Readable } = await import('node:stream');
      await core.registry.uploads.monolithic('team/app', b.digest, Readable.from([b.bytes]), {}, { username: 'dev' });
    }
    await core.registry.manifests.put('team/app', tag, img.manifest.bytes, img.manifest.mediaType, { username: 'dev' });
    await new Promise((r) => setTimeout(r, 5));
    return img;
  };
  for (const tag of ['1.1.0', 'v1.2.0', '1.3.0', '1.4.0-rc1', '2.0.0', 'latest']) await push(tag);
  const plan = await core.replication.preview('rel');
  assert.deepEqual(plan.items.map((i) => i.source.tag).sort(), ['1.3.0', 'v1.2.0'], 'versions in range, two newest');
  await core.replication.run('rel');
  assert.deepEqual(await tagsOf(site.url, 'team/app'), ['1.3.0', 'v1.2.0']);

  await push('1.5.0'); // newer: v1.2.0 falls out of the latest two and is removed at the site
  const r = await core.replication.run('rel');
  assert.equal(r.execution.status, 'succeeded', r.execution.error ?? '');
  assert.equal(r.execution.deleted, 1);
  assert.deepEqual(await tagsOf(site.url, 'team/app'), ['1.3.0', '1.5.0']);

  await push('1.5.0'); // a different artifact under the same tag, override off: conflict, site keeps its own
  const before = await digestOf(site.url, 'team/app', '1.5.0');
  const c = await core.replication.preview('rel');
  assert.equal(c.items.find((i) => i.source.tag === '1.5.0')!.action, 'conflict');
  await core.replication.run('rel');
  assert.equal(await digestOf(site.url, 'team/app', '1.5.0'), before);
});

test('the server replicates each local push as it happens (onPush)', async (t) => {
  const { createTestRegistry } = await import('../helpers/test-registry.js');
  const { pushImage } = await import('../helpers/v2-client.js');
  const { makeImage } = await import('../helpers/oci-image.js');
  const site = await startDistribution();
  t.after(() => site.stop());
  const berth = await createTestRegistry({
    registries: [{ name: 'site', url: site.url }],
    replication: [{ name: 'live', registry: 'site', direction: 'push', repositories: ['team/**'], tags: ['v*'], onPush: true }],
  });
  t.after(() => berth.close());
  const finished = new Promise<BerthEvents['replication.finished']>((resolve) => berth.server.core.events.on('replication.finished', resolve));
  const img = await makeImage();
  await pushImage(berth, 'team/svc', 'v1', img);
  const done = await finished;
  assert.equal(done.status, 'succeeded', done.error);
  assert.equal(done.copied, 1);
  assert.equal(await digestOf(site.url, 'team/svc', 'v1'), img.manifest.digest);
  const history = berth.server.core.replication.executions('live');
  assert.equal(history.length, 1);
  assert.equal(history[0]!.trigger, 'push');
});

test('pushes by replication do not loop: a pull rule into Berth and an onPush rule out of it on the same repositories run once each', async (t) => {
  const { makeImage } = await import('../helpers/oci-image.js');
  const { pushLocal } = await import('../helpers/replication.js');
  const { ReplicationScheduler } = await import('../../registry/src/replication/index.js');
  const hq = await startDistribution();
  t.after(() => hq.stop());
  await seedImage(hq.host, 'team/svc', 'v1');
  // The same registry and repositories both ways: without the guard, what `in` writes would trigger `out`.
  const core = replicationCore({
    registries: [{ name: 'hq', url: hq.url }],
    replication: [
      { name: 'in', registry: 'hq', direction: 'pull', repositories: ['team/**'] },
      { name: 'out', registry: 'hq', direction: 'push', repositories: ['team/**'], tags: ['v*'], onPush: true },
    ],
  });
  const scheduler = new ReplicationScheduler(core.replication, core.events, core.log);
  t.after(async () => {
    await scheduler.stop();
    core.close();
    fs.rmSync(core.config.data, { recursive: true, force: true });
  });
  // manifest.pushed is emitted synchronously by the put, so a trigger is pending (or not) once the run returns.
  const pulled = await core.replication.run('in');
  assert.equal(pulled.execution.status, 'succeeded', pulled.execution.error ?? '');
  assert.equal(pulled.execution.copied, 1);
  assert.deepEqual(scheduler.pending(), [], 'a push made by replication triggers no onPush rule');

  // A tag the rule does not select triggers nothing; one it selects, pushed by a user, triggers it once.
  await pushLocal(core, 'team/svc', 'dev', await makeImage());
  assert.deepEqual(scheduler.pending(), []);
  const finished = new Promise<BerthEvents['replication.finished']>((resolve) => core.events.on('replication.finished', (e) => e.rule === 'out' && resolve(e)));
  const v2 = await makeImage();
  await pushLocal(core, 'team/svc', 'v2', v2);
  assert.deepEqual(scheduler.pending(), ['out']);
  const out = await finished;
  assert.equal(out.status, 'succeeded', out.error);
  assert.equal(await digestOf(hq.url, 'team/svc', 'v2'), v2.manifest.digest);
  assert.deepEqual(scheduler.pending(), [], 'the copies `out` made at hq trigger nothing either');
  assert.deepEqual(core.replication.executions('in').map((e) => e.trigger), ['manual']);
  assert.deepEqual(core.replication.executions('out').map((e) => e.trigger), ['push']);
});
