import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestRegistry } from '../helpers/test-registry.js';
import { ApiSession } from '../helpers/api-client.js';
import { putManifest, pushImage } from '../helpers/v2-client.js';
import { makeImage, type Image } from '../helpers/oci-image.js';

/*
 * Tag retention end to end over the admin API: a dry run shows exactly what a run removes and removes
 * nothing; the run removes exactly that through the registry (events, audit), keeps immutable tags and tags a
 * real pull made recent, takes untagged manifests with `untagged`; GC reclaims the blobs; the schedule fires.
 */

const DAY = 86_400_000;

test('retention: dry run vs run, exact tags kept and removed, immutability and pulls respected, GC, schedule', { timeout: 60_000 }, async (t) => {
  const reg = await createTestRegistry({ gc: { schedule: '', graceMinutes: 0 } });
  t.after(() => reg.close());
  const api = await ApiSession.login(reg);
  const { meta } = reg.server.core;

  const images: Record<string, Image> = {};
  for (const tag of ['v1', 'v2', 'v3', 'v4', 'v5']) {
    images[tag] = await makeImage();
    await pushImage(reg, 'team/app', tag, images[tag]!);
  }
  assert.equal((await putManifest(reg, 'team/app', 'latest', images.v5!.manifest)).status, 201);
  const tool = await makeImage();
  await pushImage(reg, 'team/tools', 'v1', tool);
  const orphan = await makeImage();
  await pushImage(reg, 'team/app', orphan.manifest.digest, orphan);
  // Age everything: v1 oldest … v5 newest, all a month old; then pull v2 for real (recent use keeps it).
  const repo = meta.repositories.get('team/app')!;
  const age = meta.db.prepare('UPDATE tags SET updated_at = ? WHERE repo_id = ? AND name = ?');
  ['v1', 'v2', 'v3', 'v4', 'v5', 'latest'].forEach((tag, i) => age.run(Date.now() - 40 * DAY + Math.min(i, 4) * DAY, repo.id, tag));
  meta.db.prepare('UPDATE manifests SET created_at = ?').run(Date.now() - 40 * DAY);
  const pulled = await reg.fetch('/v2/team/app/manifests/v2', { headers: { accept: images.v2!.manifest.mediaType } });
  assert.equal(pulled.status, 200);

  // Rules: v* of app keeps the 2 newest and anything used within 7 days, untagged manifests go; v1 is immutable.
  const bad = await api.call('POST', '/projects/team/retention/rules', { repositories: 'app', tags: 'v*' });
  assert.equal(bad.status, 400, 'a rule must keep something by count or by age');
  const rule = await api.call('POST', '/projects/team/retention/rules', { repositories: 'app', tags: 'v*', keepLatest: 2, keepDays: 7, untagged: true });
  assert.equal(rule.status, 201, JSON.stringify(rule.body));
  const immutable = await api.call('POST', '/projects/team/immutability-rules', { repositories: 'app', tags: 'v1' });
  assert.equal(immutable.status, 201);
  const id = rule.body.id as number;

  // Dry run: the plan, and nothing removed.
  const dry = await api.call('POST', '/projects/team/retention/dry-run');
  assert.equal(dry.status, 200, JSON.stringify(dry.body));
  const plan = dry.body.plan;
  assert.deepEqual(plan.repositories.map((r: { repository: string }) => r.repository), ['team/app'], 'team/tools is in no rule');
  const app = plan.repositories[0];
  assert.deepEqual(app.kept.map((k: { tag: string; reason: string }) => [k.tag, k.reason]), [
    ['v1', `immutable (immutability rule #${immutable.body.id})`],
    ['v2', `pushed or pulled within 7 days (rule #${id})`],
    ['v4', `among the 2 most recently pushed (rule #${id})`],
    ['v5', `among the 2 most recently pushed (rule #${id})`],
  ]);
  assert.deepEqual(app.removeTags, []);
  assert.deepEqual(app.removeManifests.map((m: { digest: string; tags: string[] }) => [m.digest, m.tags]), [
    [images.v3!.manifest.digest, ['v3']],
    [orphan.manifest.digest, []],
  ]);
  assert.equal(dry.body.run.dryRun, true);
  assert.deepEqual(dry.body.run.items, ['team/app:v3', `team/app@${images.v3!.manifest.digest}`, `team/app@${orphan.manifest.digest}`]);
  const tags = async () => ((await (await reg.fetch('/v2/team/app/tags/list')).json()) as { tags: string[] }).tags;
  assert.deepEqual(await tags(), ['latest', 'v1', 'v2', 'v3', 'v4', 'v5']);

  // The run removes exactly that, through the registry service.
  const run = await api.call('POST', '/projects/team/retention/run');
  assert.equal(run.status, 200, JSON.stringify(run.body));
  assert.deepEqual({ status: run.body.run.status, tagsRemoved: run.body.run.tagsRemoved, manifestsRemoved: run.body.run.manifestsRemoved, errors: run.body.run.errors }, { status: 'succeeded', tagsRemoved: 1, manifestsRemoved: 2, errors: [] });
  assert.deepEqual(run.body.run.items, dry.body.run.items);
  assert.deepEqual(await tags(), ['latest', 'v1', 'v2', 'v4', 'v5']);
  assert.equal((await reg.fetch(`/v2/team/app/manifests/${orphan.manifest.digest}`, { method: 'HEAD' })).status, 404);
  assert.equal((await reg.fetch('/v2/team/tools/manifests/v1', { method: 'HEAD' })).status, 200);
  const audit = await api.call('GET', '/audit?type=manifest.deleted');
  assert.deepEqual(audit.body.items.map((e: { reference: string; actor: string }) => [e.reference, e.actor]).sort(), [
    [images.v3!.manifest.digest, 'admin'],
    [orphan.manifest.digest, 'admin'],
  ].sort());
  // GC reclaims the blobs afterwards.
  const layer = images.v3!.layers[0]!.digest;
  assert.equal((await reg.fetch(`/v2/team/app/blobs/${layer}`, { method: 'HEAD' })).status, 200, 'the link stays until GC');
  await api.call('POST', '/gc', { dryRun: false });
  assert.equal((await reg.fetch(`/v2/team/app/blobs/${layer}`, { method: 'HEAD' })).status, 404);
  assert.equal(meta.blobs.size(layer), undefined);

  // A second run has nothing to do; the history lists runs newest first, with what they removed.
  const again = await api.call('POST', '/projects/team/retention/run');
  assert.deepEqual([again.body.run.tagsRemoved, again.body.run.manifestsRemoved], [0, 0]);
  const history = await api.call('GET', '/projects/team/retention/runs');
  assert.deepEqual(history.body.items.map((r: { dryRun: boolean; itemCount: number; trigger: string }) => [r.dryRun, r.itemCount, r.trigger]), [
    [false, 0, 'manual'],
    [false, 3, 'manual'],
    [true, 3, 'manual'],
  ]);
  const detail = await api.call('GET', `/projects/team/retention/runs/${history.body.items[1].id}`);
  assert.deepEqual(detail.body.items, dry.body.run.items);

  // The schedule: invalid cron refused; every second fires a run by the scheduler; '' stops it.
  assert.equal((await api.call('PUT', '/projects/team/retention/schedule', { schedule: 'every day' })).status, 400);
  const scheduled = await api.call('PUT', '/projects/team/retention/schedule', { schedule: '* * * * * *' });
  assert.equal(scheduled.status, 200);
  assert.ok(scheduled.body.nextRunAt > Date.now() - 1000, JSON.stringify(scheduled.body));
  const until = Date.now() + 5000;
  let fired: { trigger: string; actor: string; status: string } | undefined;
  while (!fired && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    fired = (await api.call('GET', '/projects/team/retention/runs?limit=5')).body.items.find((r: { trigger: string; status: string }) => r.trigger === 'schedule' && r.status !== 'running');
  }
  assert.deepEqual(fired && [fired.actor, fired.status], ['retention', 'succeeded']);
  const off = await api.call('PUT', '/projects/team/retention/schedule', { schedule: '' });
  assert.deepEqual([off.body.schedule, off.body.nextRunAt], ['', null]);
  assert.equal((await api.call('DELETE', `/projects/team/retention/rules/${id}`)).status, 204);
  // Every policy operation is in the OpenAPI document.
  const doc = (await (await reg.fetch('/api/v1/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
  for (const [p, method] of [['/projects/{name}/retention/dry-run', 'post'], ['/projects/{name}/retention/run', 'post'], ['/projects/{name}/quota', 'put'], ['/projects/{name}/immutability-rules', 'post'], ['/quotas', 'get']] as const) {
    assert.ok(doc.paths[p]?.[method], `${method} ${p} is documented`);
  }
  assert.deepEqual((await api.call('GET', '/projects/team/retention')).body.rules, []);
});
