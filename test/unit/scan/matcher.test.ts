import { test } from 'node:test';
import assert from 'node:assert/strict';
import { affectedBy, match } from '../../../registry/src/scan/matcher.js';
import { cvss3BaseScore, rate } from '../../../registry/src/scan/severity.js';
import { schemes } from '../../../registry/src/scan/versions/index.js';
import { toRow, type AffectedSpec } from '../../../registry/src/scan/vulndb/osv.js';
import type { AffectedMatchRow } from '../../../registry/src/meta/vulndb.js';
import type { Inventory } from '../../../registry/src/scan/inventory/types.js';

const spec = (ranges: AffectedSpec['ranges'], versions: string[] = []): AffectedSpec => ({ ranges, versions, severity: [], label: undefined });

test('CVSS v3 base scores (values from NVD)', () => {
  const cases: [string, number][] = [
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', 7.2],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10],
    ['CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', 5.9],
    ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 1.6],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N', 6.4],
  ];
  for (const [v, score] of cases) assert.equal(cvss3BaseScore(v), score, v);
  assert.equal(cvss3BaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N'), undefined);
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), undefined);
  assert.deepEqual(rate([[{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N' }]], ['MODERATE']), { severity: 'medium', score: undefined });
});

test('OSV ranges: introduced/fixed, last_affected, limit, explicit versions, several introduced', () => {
  const dpkg = schemes.dpkg;
  const r1 = spec([{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2-3' }] }]);
  assert.deepEqual(affectedBy('1.2-2', r1, dpkg), { affected: true, fixed: '1.2-3' });
  assert.equal(affectedBy('1.2-3', r1, dpkg).affected, false);
  assert.equal(affectedBy('1.2-3~deb12u1', r1, dpkg).affected, true, '~ sorts before');
  const r2 = spec([{ type: 'ECOSYSTEM', events: [{ introduced: '2.0' }, { last_affected: '2.4' }] }]);
  assert.equal(affectedBy('1.9', r2, dpkg).affected, false);
  assert.equal(affectedBy('2.4', r2, dpkg).affected, true);
  assert.deepEqual(affectedBy('2.4', r2, dpkg), { affected: true, fixed: undefined });
  assert.equal(affectedBy('2.4.1', r2, dpkg).affected, false);
  // Events out of order in the record, two affected stretches.
  const r3 = spec([{ type: 'SEMVER', events: [{ fixed: '1.5.0' }, { introduced: '2.0.0' }, { introduced: '1.0.0' }, { fixed: '2.1.0' }] }]);
  const semver = schemes.semver;
  assert.equal(affectedBy('0.9.0', r3, semver).affected, false);
  assert.deepEqual(affectedBy('1.2.0', r3, semver), { affected: true, fixed: '1.5.0' });
  assert.equal(affectedBy('1.7.0', r3, semver).affected, false);
  assert.deepEqual(affectedBy('2.0.5', r3, semver), { affected: true, fixed: '2.1.0' });
  const r4 = spec([{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { limit: '3.0' }] }]);
  assert.equal(affectedBy('2.9', r4, dpkg).affected, true);
  assert.equal(affectedBy('3.0', r4, dpkg).affected, false, 'at or above the limit');
  const r5 = spec([{ type: 'GIT', events: [{ introduced: '0' }] }], ['1.0.1', '1.0.3']);
  assert.equal(affectedBy('1.0.3', r5, semver).affected, true, 'listed version');
  assert.equal(affectedBy('1.0.2', r5, semver).affected, false, 'GIT ranges are not evaluated against package versions');
  assert.throws(() => affectedBy('not-a-version', spec([{ type: 'ECOSYSTEM', events: [{ introduced: '1.0' }] }]), schemes.pep440));
});

test('matching: release-qualified ecosystems, source packages, unparseable versions become notes', () => {
  const record = (id: string, ecosystem: string, name: string, events: Record<string, string>[]) => toRow({ id, aliases: [], affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events }] }] });
  const rows = [
    record('A', 'Debian', 'openssl', [{ introduced: '0' }, { fixed: '3.0.99' }]),
    record('B', 'Debian:11', 'openssl', [{ introduced: '0' }]),
    record('C', 'Debian:12', 'openssl', [{ introduced: '0' }, { fixed: '3.0.1' }]),
    record('D', 'Ubuntu:22.04:LTS', 'openssl', [{ introduced: '0' }]),
    record('E', 'Debian:12', 'openssl', [{ introduced: 'bad:version' }]),
  ];
  const db = {
    affecting: (pkg: string): AffectedMatchRow[] =>
      rows.flatMap((r) =>
        r.affected
          .filter((a) => a.package === pkg)
          .map((a) => ({ vulnId: r.id, ecosystem: a.ecosystem, spec: JSON.stringify(a.spec), aliases: '[]', summary: null, severity: JSON.stringify(r.severity), withdrawn: null })),
      ),
  };
  const inv: Inventory = {
    os: { id: 'debian', versionId: '12', prettyName: undefined, codename: 'bookworm' },
    packages: [{ type: 'deb', name: 'libssl3', version: '3.0.11-1~deb12u2', sourceName: 'openssl', sourceVersion: '3.0.11-1~deb12u2', path: 'var/lib/dpkg/status', layer: 'sha256:l' }],
    notes: [],
    layers: [],
  };
  const r = match(inv, db);
  assert.deepEqual(r.findings.map((f) => [f.vulnId, f.package, f.fixed]), [['A', 'libssl3', '3.0.99']]);
  assert.equal(r.problems.length, 1);
  assert.match(r.problems[0]!, /^E for openssl/);
});
