import { test } from 'node:test';
import assert from 'node:assert/strict';
import { destinationName, latestTags, repositorySelector, tagFilter, tagVersion } from '../../../registry/src/replication/selection.js';
import { parseBandwidth, replicationRuleSchema } from '../../../registry/src/config/replication.js';

test('repository globs with exclusions; explicit names need no catalog', () => {
  const s = repositorySelector(['library/busybox', 'apps/**', '!apps/internal/**']);
  assert.deepEqual(s.explicit, ['library/busybox']);
  assert.equal(s.needsCatalog, true);
  assert.equal(s.matches('apps/web'), true);
  assert.equal(s.matches('apps/a/b/c'), true);
  assert.equal(s.matches('apps/internal/x'), false);
  assert.equal(s.matches('library/alpine'), false);
  assert.equal(repositorySelector(['ghcr-org/app']).needsCatalog, false);
});

test('tag globs, regex and semver combine; referrers tags are never plain tags', () => {
  const f = tagFilter({ tags: ['1.*', 'v*', 'latest'], tagRegex: '^[^-]*$', semver: '>=1.2 <2' });
  assert.deepEqual(['1.1', '1.2', 'v1.9.0', '1.3-rc', '2.0', 'latest', 'v1.x'].filter(f), ['1.2', 'v1.9.0']);
  assert.equal(tagFilter({})(`sha256-${'a'.repeat(64)}`), false);
  assert.equal(tagVersion('alpine-3.20'), undefined);
  assert.equal(tagVersion('v2'), '2.0.0');
});

test('latestN keeps the newest by time, listing order breaking ties and standing in for missing times', () => {
  const times = new Map([
    ['a', 3],
    ['b', 1],
    ['c', 2],
  ]);
  assert.deepEqual(latestTags(['a', 'b', 'c'], 2, (t) => times.get(t)), ['a', 'c']);
  assert.deepEqual(latestTags(['x', 'y', 'z'], 2, () => undefined), ['y', 'z']);
});

test('destination prefix and flatten', () => {
  assert.equal(destinationName('library/busybox', { destination: 'mirror', flatten: 0 }), 'mirror/library/busybox');
  assert.equal(destinationName('a/b/c', { destination: undefined, flatten: 2 }), 'c');
  assert.equal(destinationName('c', { destination: 'x', flatten: 5 }), 'x/c');
});

test('rule schema names the bad field', () => {
  assert.equal(parseBandwidth('10MiB/s'), 10 * 1024 * 1024);
  assert.equal(parseBandwidth('1.5MB/s'), 1_500_000);
  const bad = replicationRuleSchema.safeParse({ name: 'r', registry: 'hq', direction: 'pull', repositories: ['x'], onPush: true, schedule: 'every day', bandwidth: 'fast', semver: 'nope' });
  assert.equal(bad.success, false);
  const fields = bad.error!.issues.map((i) => i.path.join('.')).sort();
  assert.deepEqual(fields, ['bandwidth', 'onPush', 'schedule', 'semver']);
  const onPush = replicationRuleSchema.safeParse({ name: 'r', registry: 'hq', direction: 'pull', repositories: ['x'], onPush: true });
  assert.deepEqual(onPush.error!.issues.map((i) => i.path.join('.')), ['onPush']);
});
