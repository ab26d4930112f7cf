import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createTestRegistry, tempDir, ADMIN_PASSWORD } from '../helpers/test-registry.js';
import { makeImage, type Image } from '../helpers/oci-image.js';
import { pushImage } from '../helpers/v2-client.js';
import { skopeo } from '../helpers/processes.js';
import { alpineInstalledDb, alpineOsRelease, alpineRecords, recordsZip } from '../helpers/osv-fixture.js';

function alpineImage(extra: string): Promise<Image> {
  return makeImage({ files: { 'etc/os-release': alpineOsRelease, 'lib/apk/db/installed': alpineInstalledDb, 'extra.txt': extra } });
}

test('pull gate: blocks vulnerable and (when asked) unscanned artifacts with the worst CVEs named; allowlist with expiry', async (t) => {
  const reg = await createTestRegistry();
  const work = tempDir('berth-gate-');
  t.after(async () => {
    await reg.close();
    fs.rmSync(work, { recursive: true, force: true });
  });
  const core = reg.server.core;
  fs.writeFileSync(path.join(work, 'alpine.zip'), recordsZip(alpineRecords()));
  await core.scan.importer.importFile(path.join(work, 'alpine.zip'));
  core.meta.repositories.ensureProject('prod', { public: false });
  const img = await alpineImage('a');
  await pushImage(reg, 'prod/alpine', '1', img);
  const accept = { accept: img.manifest.mediaType };

  // No gate: pulls work, scanned or not.
  assert.equal((await reg.fetch('/v2/prod/alpine/manifests/1', { headers: accept })).status, 200);

  // Switched on through the admin API, as the GUI does.
  const put = (body: unknown) => reg.fetch('/api/v1/projects/prod/scan-settings', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const bad = await put({ scanOnPush: false, gateSeverity: 'severe', gateUnscanned: 'block', allowlist: [] });
  assert.equal(bad.status, 400);
  assert.match(JSON.stringify(await bad.json()), /gateSeverity/);
  assert.equal((await put({ scanOnPush: false, gateSeverity: 'high', gateUnscanned: 'block', allowlist: [] })).status, 200);
  const unscanned = await reg.fetch('/v2/prod/alpine/manifests/1', { headers: accept });
  assert.equal(unscanned.status, 403);
  const e1 = (await unscanned.json()) as { errors: { code: string; message: string }[] };
  assert.equal(e1.errors[0]!.code, 'DENIED');
  assert.match(e1.errors[0]!.message, /has not been scanned/);

  const scanned = await reg.fetch('/api/v1/repositories/prod%2Falpine/artifacts/1/scan', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(scanned.status, 200, await scanned.clone().text());
  const vulns = (await (await reg.fetch('/api/v1/repositories/prod%2Falpine/artifacts/1/vulnerabilities')).json()) as { counts: { critical: number }; findings: { vulnId: string; fixed: string }[] };
  assert.equal(vulns.counts.critical, 2);
  assert.deepEqual(vulns.findings.map((f) => [f.vulnId, f.fixed]), [['CVE-2024-5535', '3.1.6-r0'], ['CVE-2024-5535', '3.1.6-r0']]);
  const db = (await (await reg.fetch('/api/v1/vulndb')).json()) as { builtAt: number; sources: { name: string; records: number }[] };
  assert.equal(db.builtAt, Date.parse('2024-07-01T00:00:00Z'));
  assert.deepEqual(db.sources.map((x) => [x.name, x.records]), [['Alpine', 3]]);
  const blocked = await reg.fetch('/v2/prod/alpine/manifests/1', { headers: accept });
  assert.equal(blocked.status, 403);
  const e2 = (await blocked.json()) as { errors: { code: string; message: string }[] };
  assert.equal(
    e2.errors[0]!.message,
    'pull blocked by the vulnerability policy (high or worse): CVE-2024-5535 (critical 9.1, libcrypto3 3.1.4-r5 fixed in 3.1.6-r0), CVE-2024-5535 (critical 9.1, libssl3 3.1.4-r5 fixed in 3.1.6-r0)',
  );
  // HEAD is metadata, not a pull: clients resolve digests with it.
  assert.equal((await reg.fetch('/v2/prod/alpine/manifests/1', { method: 'HEAD', headers: accept })).status, 200);

  // A real client sees the message.
  await assert.rejects(
    skopeo(['copy', '--src-tls-verify=false', '--src-creds', `admin:${ADMIN_PASSWORD}`, `docker://${reg.host}/prod/alpine:1`, `oci:${path.join(work, 'out')}:1`]),
    /pull blocked by the vulnerability policy \(high or worse\): CVE-2024-5535/,
  );

  // An expired allowlist entry does not count; a current one (by alias or id) lets the pull through.
  core.meta.scanReports.setProjectSettings('prod', { scanOnPush: false, gateSeverity: 'high', gateUnscanned: 'block', allowlist: [{ id: 'CVE-2024-5535', expiresAt: Date.now() - 1000 }] });
  assert.equal((await reg.fetch('/v2/prod/alpine/manifests/1', { headers: accept })).status, 403);
  core.meta.scanReports.setProjectSettings('prod', { scanOnPush: false, gateSeverity: 'high', gateUnscanned: 'block', allowlist: [{ id: 'ALPINE-CVE-2024-5535', expiresAt: Date.now() + 60_000 }] });
  assert.equal((await reg.fetch('/v2/prod/alpine/manifests/1', { headers: accept })).status, 200);
  // A gate at critical-only with the allowlist removed still blocks (the findings are critical); other projects are untouched.
  core.meta.scanReports.setProjectSettings('prod', { scanOnPush: false, gateSeverity: 'critical', gateUnscanned: 'allow', allowlist: [] });
  assert.equal((await reg.fetch('/v2/prod/alpine/manifests/1', { headers: accept })).status, 403);
  await pushImage(reg, 'library/alpine', '1', img);
  assert.equal((await reg.fetch('/v2/library/alpine/manifests/1', { headers: accept })).status, 200);
});

test('a stale vulnerability database blocks gated pulls when the policy says block', async (t) => {
  const reg = await createTestRegistry({ scan: { maxExpansionRatio: 200, onPushProjects: [], dbPollSeconds: 60, dbMaxAgeDays: 30, dbStale: 'block' } });
  const work = tempDir('berth-gate-');
  t.after(async () => {
    await reg.close();
    fs.rmSync(work, { recursive: true, force: true });
  });
  const core = reg.server.core;
  core.meta.repositories.ensureProject('prod', { public: false });
  const img = await alpineImage('b');
  await pushImage(reg, 'prod/alpine', '1', img);
  // Every finding allowlisted: only the database's age can block.
  core.meta.scanReports.setProjectSettings('prod', { scanOnPush: false, gateSeverity: 'critical', gateUnscanned: 'allow', allowlist: [{ id: 'CVE-2024-5535' }] });
  const accept = { accept: img.manifest.mediaType };
  const none = await reg.fetch('/v2/prod/alpine/manifests/1', { headers: accept });
  assert.equal(none.status, 403);
  assert.match(((await none.json()) as { errors: { message: string }[] }).errors[0]!.message, /no vulnerability database has been imported/);

  fs.writeFileSync(path.join(work, 'alpine.zip'), recordsZip(alpineRecords()));
  await core.scan.importer.importFile(path.join(work, 'alpine.zip'));
  await core.scan.scan('prod/alpine', '1');
  const old = await reg.fetch('/v2/prod/alpine/manifests/1', { headers: accept });
  assert.equal(old.status, 403);
  assert.match(((await old.json()) as { errors: { message: string }[] }).errors[0]!.message, /the vulnerability database was built 2024-07-01, \d+ days ago \(the limit is 30\)/);
  // Within the limit (as of a date shortly after the build), the allowlisted findings pass.
  assert.equal(core.scan.gate('prod/alpine', img.manifest.digest, Date.parse('2024-07-15T00:00:00Z')).allowed, true);
});
