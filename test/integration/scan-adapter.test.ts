import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestRegistry } from '../helpers/test-registry.js';
import { makeImage } from '../helpers/oci-image.js';
import { pushImage } from '../helpers/v2-client.js';
import { startTestAdapter } from '../helpers/harbor-adapter.js';

/*
 * Scanning through a Harbor pluggable scanner adapter: the adapter is handed a pull-only token for the one
 * repository (it pulls even what the gate holds back, and nothing else), its findings become the report the
 * pull gate judges, and an adapter that fails or cannot be reached fails the scan with its reason.
 */

test('a Harbor scanner adapter scans with a pull-only token; its findings drive the gate', async (t) => {
  const adapter = await startTestAdapter({ credential: 'Bearer adapter-secret' });
  t.after(() => adapter.close());
  const reg = await createTestRegistry({ scan: { maxExpansionRatio: 200, onPushProjects: [], dbPollSeconds: 60, dbMaxAgeDays: 0, dbStale: 'warn', attachSbom: false, adapter: { url: adapter.url, credentialSecret: 'scanner/trivy', timeoutSeconds: 30 } } });
  t.after(() => reg.close());
  const core = reg.server.core;
  await core.secrets.set('scanner/trivy', 'Bearer adapter-secret');
  core.meta.repositories.ensureProject('prod', { public: false });
  const img = await makeImage({ files: { 'app/bin': 'x' } });
  await pushImage(reg, 'prod/app', '1', img);
  const json = { 'content-type': 'application/json' };
  const put = await reg.fetch('/api/v1/projects/prod/scan-settings', { method: 'PUT', headers: json, body: JSON.stringify({ scanOnPush: false, gateSeverity: 'high', gateUnscanned: 'block', allowlist: [] }) });
  assert.equal(put.status, 200);
  const accept = { accept: img.manifest.mediaType };
  assert.equal((await reg.fetch('/v2/prod/app/manifests/1', { headers: accept })).status, 403, 'unscanned: held back');

  adapter.answer = {
    vulnerabilities: [
      { id: 'CVE-2023-4911', package: 'libc6', version: '2.36-9', fix_version: '2.36-9+deb12u3', severity: 'High', description: 'Looney Tunables\nlong text', preferred_cvss: { score_v3: 7.8 } },
      { id: 'CVE-2023-4911', package: 'libc6', version: '2.36-9', fix_version: '2.36-9+deb12u3', severity: 'High' },
      { id: 'CVE-2024-0001', package: 'zlib1g', version: '1:1.2.13', severity: 'Negligible' },
    ],
  };
  const scanned = await reg.fetch('/api/v1/repositories/prod%2Fapp/artifacts/1/scan', { method: 'POST' });
  assert.equal(scanned.status, 200, await scanned.clone().text());
  const report = (await scanned.json()) as { counts: Record<string, number>; findings: { vulnId: string; severity: string; score: number; fixed: string; summary: string }[]; notes: string[] };
  assert.deepEqual(report.counts, { critical: 0, high: 1, medium: 0, low: 1, unknown: 0 });
  assert.deepEqual(
    report.findings.map((f) => [f.vulnId, f.severity, f.score ?? null, f.fixed ?? null, f.summary ?? null]),
    [
      ['CVE-2023-4911', 'high', 7.8, '2.36-9+deb12u3', 'Looney Tunables'],
      ['CVE-2024-0001', 'low', null, null, null],
    ],
  );
  assert.match(report.notes[0]!, /scanned by TestScanner 1\.2\.3 through the Harbor scanner adapter API/);

  const seen = adapter.requests[0]!;
  assert.equal(seen.contentType, 'application/vnd.scanner.adapter.scan.request+json; version=1.0');
  assert.deepEqual(seen.artifact, { repository: 'prod/app', digest: img.manifest.digest, mime_type: img.manifest.mediaType });
  assert.equal(seen.registry.url, reg.url);
  assert.match(seen.registry.authorization, /^Bearer ey/);
  assert.deepEqual(
    { manifest: seen.pulled.manifest, blobs: seen.pulled.blobs },
    { manifest: 200, blobs: [200, ...img.layers.map(() => 200)] },
    'the adapter pulled everything although the gate holds the artifact back from users',
  );
  assert.ok([401, 403].includes(seen.pulled.otherRepository), `another repository: ${seen.pulled.otherRepository}`);
  assert.ok([401, 403].includes(seen.pulled.push), `a push: ${seen.pulled.push}`);

  const blocked = await reg.fetch('/v2/prod/app/manifests/1', { headers: accept });
  assert.equal(blocked.status, 403);
  assert.match(((await blocked.json()) as { errors: { message: string }[] }).errors[0]!.message, /CVE-2023-4911 \(high 7\.8, libc6 2\.36-9 fixed in 2\.36-9\+deb12u3\)/);

  // SBOMs need Berth's own inventory.
  const sbom = await reg.fetch('/api/v1/repositories/prod%2Fapp/artifacts/1/sbom', { method: 'POST' });
  assert.equal(sbom.status, 422);

  // The adapter fails the scan: the report says failed and why; the gate treats it as unscanned.
  adapter.answer = { error: 'trivy: database download failed' };
  const failed = await reg.fetch('/api/v1/repositories/prod%2Fapp/artifacts/1/scan', { method: 'POST' });
  assert.equal(failed.status, 422);
  assert.match(((await failed.json()) as { error: { message: string } }).error.message, /scanner adapter failed the scan: HTTP 500 trivy: database download failed/);
  const vulns = (await (await reg.fetch('/api/v1/repositories/prod%2Fapp/artifacts/1/vulnerabilities')).json()) as { status: string; error: string };
  assert.equal(vulns.status, 'failed');
  assert.match(vulns.error, /database download failed/);
  assert.equal((await reg.fetch('/v2/prod/app/manifests/1', { headers: accept })).status, 403);

  // A wrong credential and a dead adapter: clear failures, nothing else changes.
  await core.secrets.set('scanner/trivy', 'Bearer wrong');
  const denied = await reg.fetch('/api/v1/repositories/prod%2Fapp/artifacts/1/scan', { method: 'POST' });
  assert.equal(denied.status, 422);
  assert.match(((await denied.json()) as { error: { message: string } }).error.message, /refused the scan request: HTTP 401 unauthorized/);
  await adapter.close();
  const dead = await reg.fetch('/api/v1/repositories/prod%2Fapp/artifacts/1/scan', { method: 'POST' });
  assert.equal(dead.status, 422);
  assert.match(((await dead.json()) as { error: { message: string } }).error.message, /scanner adapter at http:\/\/127\.0\.0\.1:\d+ unreachable/);
});
