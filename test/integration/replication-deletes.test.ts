import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startDistribution } from '../helpers/docker-registry.js';
import { makeImage } from '../helpers/oci-image.js';
import { digestOf, httpPutManifest, pushLocal, replicationCore, seedImage, tagsOf } from '../helpers/replication.js';
import type { Core } from '../../registry/src/core.js';

/*
 * deleteRemoved against a real docker-registry: a registry API cannot delete a tag alone, so deleting a
 * manifest takes every tag on it. A tag the rule does not select must survive the rule's deletions.
 */

function cleanup(core: Core): void {
  core.close();
  fs.rmSync(core.config.data, { recursive: true, force: true });
}

function keptTasks(core: Core, executionId: number) {
  return core.replication.execution(executionId).tasks.filter((t) => t.action === 'delete' && t.status === 'skipped');
}

test('push with deleteRemoved never deletes a remote manifest that a tag outside the rule still uses', async (t) => {
  const site = await startDistribution();
  t.after(() => site.stop());
  const core = replicationCore({
    registries: [{ name: 'site', url: site.url }],
    replication: [{ name: 'a-tags', registry: 'site', direction: 'push', repositories: ['team/app'], tags: ['a*'], deleteRemoved: true }],
  });
  t.after(() => cleanup(core));
  const shared = await makeImage();
  const alone = await makeImage();
  await pushLocal(core, 'team/app', 'a1', shared);
  await pushLocal(core, 'team/app', 'a2', alone);
  const first = await core.replication.run('a-tags');
  assert.equal(first.execution.status, 'succeeded', first.execution.error ?? '');
  assert.deepEqual(await tagsOf(site.url, 'team/app'), ['a1', 'a2']);
  // Headquarters' own tag on the same manifest as a1: the rule does not select it.
  await httpPutManifest(site.url, 'team/app', 'extra', shared.manifest);

  core.registry.manifests.delete('team/app', 'a1', { username: 'dev' });
  core.registry.manifests.delete('team/app', 'a2', { username: 'dev' });
  const plan = await core.replication.preview('a-tags');
  assert.deepEqual(plan.deletions.map((d) => d.tag), ['a2'], 'only the manifest no other tag uses is deleted');
  assert.deepEqual(plan.kept.map((k) => [k.tag, k.reason]), [['a1', 'kept: tag extra still uses it']]);

  const run = await core.replication.run('a-tags');
  assert.equal(run.execution.status, 'succeeded', run.execution.error ?? '');
  assert.equal(run.execution.deleted, 1);
  assert.equal(await digestOf(site.url, 'team/app', 'extra'), shared.manifest.digest, 'the tag the rule never selected survives');
  assert.equal(await digestOf(site.url, 'team/app', 'a2'), undefined, 'the manifest only the rule used is gone');
  const kept = keptTasks(core, run.execution.id);
  assert.deepEqual(kept.map((k) => [k.destination, k.digest, k.error]), [['team/app:a1', shared.manifest.digest, 'kept: tag extra still uses it']]);
});

test('push with deleteRemoved deletes a manifest once when every tag on it goes', async (t) => {
  const site = await startDistribution();
  t.after(() => site.stop());
  const core = replicationCore({
    registries: [{ name: 'site', url: site.url }],
    replication: [{ name: 'all', registry: 'site', direction: 'push', repositories: ['team/app'], deleteRemoved: true }],
  });
  t.after(() => cleanup(core));
  const img = await makeImage();
  await pushLocal(core, 'team/app', 'b1', img);
  await pushLocal(core, 'team/app', 'b2', img);
  await pushLocal(core, 'team/app', 'keep', await makeImage());
  assert.equal((await core.replication.run('all')).execution.status, 'succeeded');
  core.registry.manifests.delete('team/app', img.manifest.digest, { username: 'dev' });
  const run = await core.replication.run('all');
  assert.equal(run.execution.status, 'succeeded', run.execution.error ?? '');
  assert.equal(run.execution.deleted, 2, 'both tags are gone with their one manifest, no second DELETE that 404s');
  assert.deepEqual(await tagsOf(site.url, 'team/app'), ['keep']);
});

test('pull with deleteRemoved leaves a local manifest that a tag outside the rule still uses', async (t) => {
  const hq = await startDistribution();
  t.after(() => hq.stop());
  const shared = await makeImage();
  await seedImage(hq.host, 'team/app', 'a1', shared);
  await seedImage(hq.host, 'team/app', 'a0');
  const core = replicationCore({
    registries: [{ name: 'hq', url: hq.url }],
    replication: [{ name: 'in', registry: 'hq', direction: 'pull', repositories: ['team/app'], tags: ['a*'], deleteRemoved: true }],
  });
  t.after(() => cleanup(core));
  assert.equal((await core.replication.run('in')).execution.status, 'succeeded');
  // The edge site's own tag on the pulled manifest.
  await core.registry.manifests.put('team/app', 'local', shared.manifest.bytes, shared.manifest.mediaType, { username: 'dev' });
  const del = await fetch(`${hq.url}/v2/team/app/manifests/${shared.manifest.digest}`, { method: 'DELETE' });
  assert.equal(del.status, 202);

  const run = await core.replication.run('in');
  assert.equal(run.execution.status, 'succeeded', run.execution.error ?? '');
  assert.equal(run.execution.deleted, 0);
  assert.deepEqual(core.registry.content.tags('team/app', undefined, undefined).items, ['a0', 'a1', 'local']);
  assert.deepEqual(keptTasks(core, run.execution.id).map((k) => k.error), ['kept: tag local still uses it']);
});
