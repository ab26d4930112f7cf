import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRetention, DAY_MS, type RetentionRuleSpec } from '../../../registry/src/policy/retention-planner.js';
import type { RepositorySnapshot } from '../../../registry/src/meta/retention.js';

const now = Date.UTC(2026, 5, 1);
const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const rule = (r: Partial<RetentionRuleSpec> & { id: number }): RetentionRuleSpec => ({ repositories: '**', tags: '**', keepLatest: null, keepDays: null, untagged: false, ...r });
const m = (n: number, pushedDaysAgo: number, extra: Partial<RepositorySnapshot['manifests'][number]> = {}) => ({
  digest: d(n),
  pushedAt: now - pushedDaysAgo * DAY_MS,
  pulledAt: null,
  subject: null,
  children: [],
  ...extra,
});
const t = (name: string, n: number, pushedDaysAgo: number) => ({ name, digest: d(n), pushedAt: now - pushedDaysAgo * DAY_MS });
const none = () => undefined;

test('keep the N most recently pushed: older tags go with their manifests, with reasons', () => {
  const repo: RepositorySnapshot = { name: 'team/app', tags: [t('v1', 1, 40), t('v2', 2, 30), t('v3', 3, 20), t('v4', 4, 10)], manifests: [m(1, 40), m(2, 30), m(3, 20), m(4, 10)] };
  const plan = planRetention({ project: 'team', rules: [rule({ id: 7, keepLatest: 2 })], repositories: [repo], now, immutable: none });
  const r = plan.repositories[0]!;
  assert.deepEqual(r.kept.map((k) => [k.tag, k.reason]), [
    ['v3', 'among the 2 most recently pushed (rule #7)'],
    ['v4', 'among the 2 most recently pushed (rule #7)'],
  ]);
  assert.deepEqual(r.removeTags, []);
  assert.deepEqual(r.removeManifests.map((x) => [x.digest, x.tags, x.reason]).sort(), [
    [d(1), ['v1'], 'retained by no rule (#7)'],
    [d(2), ['v2'], 'retained by no rule (#7)'],
  ]);
  assert.deepEqual(plan.totals, { repositories: 1, tagsKept: 2, tagsRemoved: 2, manifestsRemoved: 2 });
});

test('keep by days counts pulls; several rules keep the union; tags out of every scope are not touched', () => {
  const repo: RepositorySnapshot = {
    name: 'team/app',
    tags: [t('v1', 1, 90), t('v2', 2, 60), t('v3', 3, 2), t('latest', 3, 2), t('dev-1', 5, 50), t('dev-2', 6, 1)],
    manifests: [m(1, 90, { pulledAt: now - 3 * DAY_MS }), m(2, 60), m(3, 2), m(5, 50), m(6, 1)],
  };
  const rules = [rule({ id: 1, tags: 'v*', keepDays: 7 }), rule({ id: 2, tags: 'dev-*', keepLatest: 1 })];
  const r = planRetention({ project: 'team', rules, repositories: [repo], now, immutable: none }).repositories[0]!;
  assert.deepEqual(r.kept.map((k) => k.tag), ['dev-2', 'v1', 'v3']);
  assert.equal(r.kept.find((k) => k.tag === 'v1')!.reason, 'pushed or pulled within 7 days (rule #1)');
  // latest is in no rule's scope: it is neither kept nor removed, just not mentioned.
  assert.deepEqual(r.removeManifests.map((x) => x.tags), [['v2'], ['dev-1']]);
  assert.deepEqual(r.removeManifests.map((x) => x.tags).flat().includes('latest'), false);
});

test('a shared digest loses only its removable tag; immutable tags are kept whatever the rules say', () => {
  const repo: RepositorySnapshot = { name: 'team/app', tags: [t('1.0', 1, 40), t('stable', 1, 40), t('2.0', 2, 30), t('3.0', 3, 1)], manifests: [m(1, 40), m(2, 30), m(3, 1)] };
  const r = planRetention({
    project: 'team',
    rules: [rule({ id: 1, tags: '*.*', keepLatest: 1 })],
    repositories: [repo],
    now,
    immutable: (repository, tag) => (repository === 'team/app' && tag === '2.0' ? { id: 9 } : undefined),
  }).repositories[0]!;
  assert.deepEqual(r.removeTags.map((x) => x.tag), ['1.0']);
  assert.deepEqual(r.removeManifests, []);
  assert.deepEqual(r.kept.map((k) => [k.tag, k.reason]), [
    ['2.0', 'immutable (immutability rule #9)'],
    ['3.0', 'among the 1 most recently pushed (rule #1)'],
  ]);
});

test('an index takes its untagged children and referrers along; a child another kept index lists stays', () => {
  // old index d(10) lists d(11) and d(12); new index d(20) lists d(12) and d(21); d(30) signs d(10)
  const repo: RepositorySnapshot = {
    name: 'team/multi',
    tags: [t('old', 10, 30), t('new', 20, 1)],
    manifests: [m(10, 30, { children: [d(11), d(12)] }), m(11, 30), m(12, 30), m(20, 1, { children: [d(12), d(21)] }), m(21, 1), m(30, 30, { subject: d(10) })],
  };
  const r = planRetention({ project: 'team', rules: [rule({ id: 1, keepLatest: 1 })], repositories: [repo], now, immutable: none }).repositories[0]!;
  assert.deepEqual(r.removeManifests.map((x) => [x.digest, x.reason]), [
    [d(10), 'retained by no rule (#1)'],
    [d(11), `part of removed index ${d(10)}`],
    [d(30), `attached to removed manifest ${d(10)}`],
  ]);
});

test('untagged: old top-level manifests go, young ones and those kept by days stay; children and referrers of kept ones stay', () => {
  const repo: RepositorySnapshot = {
    name: 'team/app',
    tags: [t('v1', 1, 1)],
    manifests: [
      m(1, 1, { children: [d(2)] }),
      m(2, 40), // child of the tagged index
      m(3, 40, { subject: d(1) }), // signature of the tagged index
      m(4, 40), // untagged, old: goes
      m(5, 0.01), // untagged, pushed minutes ago: stays (grace)
      m(6, 40, { pulledAt: now - DAY_MS }), // untagged, pulled yesterday: kept by keepDays
    ],
  };
  const plan = planRetention({ project: 'team', rules: [rule({ id: 3, keepLatest: 5, keepDays: 7, untagged: true })], repositories: [repo], now, immutable: none });
  assert.deepEqual(plan.repositories[0]!.removeManifests.map((x) => [x.digest, x.reason]), [[d(4), 'untagged (rule #3)']]);
});

test('repositories no rule matches are not in the plan; referrers-schema tags are never touched', () => {
  const sha = `sha256-${'a'.repeat(64)}`;
  const repos: RepositorySnapshot[] = [
    { name: 'team/app', tags: [t('v1', 1, 40), t(sha, 2, 40)], manifests: [m(1, 40), m(2, 40)] },
    { name: 'team/tools/x', tags: [t('v1', 3, 40)], manifests: [m(3, 40)] },
  ];
  const plan = planRetention({ project: 'team', rules: [rule({ id: 1, repositories: 'app', keepLatest: 0 })], repositories: repos, now, immutable: none });
  assert.deepEqual(plan.repositories.map((r) => r.repository), ['team/app']);
  assert.deepEqual(plan.repositories[0]!.removeManifests.map((x) => x.tags), [['v1']]);
});
