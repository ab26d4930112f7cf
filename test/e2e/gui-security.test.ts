import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startBerthProcess, skopeo, repoRoot, cliPath, type BerthProcess } from '../helpers/processes.js';
import { tempDir, ADMIN_PASSWORD } from '../helpers/test-registry.js';
import { blobOf, descriptor, makeLayer, writeLayout, imageBlobs, type Image } from '../helpers/oci-image.js';
import { debianRecords, npmAndPypiRecords, npmLockfile, recordsZip } from '../helpers/osv-fixture.js';

/*
 * The security GUI end to end: the built `berth serve`, images pushed with skopeo that carry this machine's
 * real dpkg status and an npm lockfile, the OSV fixture imported with `berth vulndb import` beside the running
 * server, and Chromium through the artifact's Vulnerabilities section (scan now, sort, filter), the Security
 * page (overview, database, scan all with live refresh) and the gate and allowlist settings, checked with a
 * real pull. Screenshots go to test-output/screenshots/.
 */

const exec = promisify(execFile);
const shots = path.join(repoRoot, 'test-output', 'screenshots');
const creds = `admin:${ADMIN_PASSWORD}`;
const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
const card = (page: Page, title: string) => page.locator('section.card').filter({ has: page.getByRole('heading', { name: title, exact: true }) });

/** This machine's installed binary packages with their source package, as dpkg reports them. */
function installed(): { name: string; source: string; version: string; sourceVersion: string }[] {
  const out = execFileSync('dpkg-query', ['-W', '-f', '${db:Status-Abbrev}\t${Package}\t${source:Package}\t${Version}\t${source:Version}\n'], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((f) => f[0]!.startsWith('ii'))
    .map(([, name, source, version, sourceVersion]) => ({ name: name!, source: source!, version: version!, sourceVersion: sourceVersion! }));
}

function dpkgLess(a: string, b: string): boolean {
  try {
    execFileSync('dpkg', ['--compare-versions', a, 'lt', b]);
    return true;
  } catch {
    return false;
  }
}

async function imageOf(layers: Record<string, string | Buffer>[]): Promise<Image> {
  const built = await Promise.all(layers.map((files) => makeLayer(files)));
  const config = blobOf(
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: built.map((l) => l.diffId) } })),
    'application/vnd.oci.image.config.v1+json',
  );
  const manifest = blobOf(
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: descriptor(config), layers: built.map((l) => descriptor(l.blob)) })),
    'application/vnd.oci.image.manifest.v1+json',
  );
  return { manifest, config, layers: built.map((l) => l.blob) };
}

test('GUI: vulnerabilities of an artifact, the security overview, pull gate and allowlists', { timeout: 120_000 }, async () => {
  assert.ok(fs.existsSync(path.join(repoRoot, 'renderer', 'dist', 'index.html')), 'renderer/dist is missing: run npm run build');
  fs.mkdirSync(shots, { recursive: true });
  const work = tempDir('berth-e2e-security-');
  const profile = tempDir('berth-e2e-chromium-');
  let berth: BerthProcess | undefined;
  let browser: BrowserContext | undefined;
  let page: Page | undefined;
  try {
    const data = path.join(work, 'data');
    berth = await startBerthProcess(data);
    const pkgs = installed();
    const glibc = pkgs.filter((p) => p.source === 'glibc');
    const glibcFixed = `${glibc[0]!.sourceVersion}+fix1`;

    // prod/app: Debian (this machine's dpkg status) in layer 1, an npm lockfile in layer 2. prod/base: Debian only.
    const debian = { 'etc/os-release': fs.readFileSync('/etc/os-release'), 'var/lib/dpkg/status': fs.readFileSync('/var/lib/dpkg/status') };
    const app = await imageOf([debian, { 'app/package-lock.json': npmLockfile }]);
    const base = await imageOf([debian, { 'etc/motd': 'base image\n' }]);
    for (const [repo, img] of [['prod/app', app], ['prod/base', base]] as const) {
      const layout = path.join(work, repo.replace('/', '-'));
      writeLayout(layout, imageBlobs(img), { '1.0': img.manifest });
      await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout}:1.0`, `docker://${berth.host}/${repo}:1.0`]);
    }

    browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
      viewport: { width: 1280, height: 800 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(15_000);
    const problems: string[] = [];
    // A failed scan answers 422 (the page then shows the report's reason); nothing else may go wrong.
    page.on('console', (m) => m.type() === 'error' && !(/status of 422/.test(m.text()) && /\/scan$/.test(m.location().url)) && problems.push(`console: ${m.text()} (${m.location().url})`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

    await page.goto(`${berth.url}/`);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

    // Before any database: the Security page says so and how to import one.
    await nav(page, 'Security');
    await page.getByText('No vulnerability database has been imported yet').waitFor();
    const scannedTile = page.locator('.stat', { hasText: 'Scanned' }).locator('.stat-value');
    assert.equal(await scannedTile.innerText(), '0 of 2');

    // The operator imports the OSV fixture beside the running server.
    const zip = path.join(work, 'debian.zip');
    const bash = pkgs.find((p) => p.name === 'bash')!;
    const openssl = pkgs.find((p) => p.source === 'openssl')!;
    fs.writeFileSync(zip, recordsZip(debianRecords({ glibcFixed, opensslFixed: openssl.sourceVersion, bashSourceFixed: bash.version })));
    const zip2 = path.join(work, 'npm.zip');
    fs.writeFileSync(zip2, recordsZip(npmAndPypiRecords()));
    await exec(process.execPath, [cliPath, 'vulndb', 'import', '--data', data, zip, zip2]);
    await page.reload();
    const dbCard = card(page, 'Vulnerability database');
    await dbCard.getByRole('cell', { name: 'Debian', exact: true }).waitFor();
    await dbCard.getByRole('cell', { name: 'PyPI,npm', exact: true }).waitFor();
    await dbCard.getByText('8 in 2 sources').waitFor();

    // The artifact page: not scanned yet; scan now; the findings appear with installed and fixed versions.
    await nav(page, 'Repositories');
    await page.getByRole('link', { name: 'prod/app', exact: true }).click();
    await page.getByRole('link', { name: '1.0', exact: true }).click();
    const vulns = card(page, 'Vulnerabilities');
    await vulns.getByText('Not scanned yet.').waitFor();
    await vulns.getByRole('button', { name: 'Scan now' }).click();
    const table = page.getByRole('table', { name: 'Vulnerabilities' });
    const rows = table.locator('tbody tr');
    await rows.first().waitFor();
    // glibc's binaries (high, through their source package), lodash (high), minimist (critical), and bash when
    // its source version is older than its binary version (a binNMU) — as this machine's dpkg says.
    const bashVulnerable = dpkgLess(bash.sourceVersion, bash.version);
    const expected = glibc.length + 2 + (bashVulnerable ? 1 : 0);
    await vulns.getByText(`${expected} findings`, { exact: true }).waitFor();
    const first = rows.first();
    assert.match(await first.innerText(), /Critical[\s\S]*CVE-2021-44906[\s\S]*minimist[\s\S]*1\.2\.5[\s\S]*1\.2\.6[\s\S]*#2[\s\S]*9\.8/);
    await vulns.getByLabel(`${1} critical, ${glibc.length + 1} high${bashVulnerable ? ', 1 unknown' : ''}`).waitFor();
    await vulns.getByText(/database of 2026-02-02/).waitFor();

    // Sort by package (ascending), then by score (worst first); filter by text and by severity.
    await table.getByRole('button', { name: 'Package' }).click();
    await table.locator('th[aria-sort="ascending"]', { hasText: 'Package' }).waitFor();
    const names = await rows.locator('td:nth-child(3) .strong').allInnerTexts();
    assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b)));
    assert.equal(names.length, expected);
    await table.getByRole('button', { name: 'Score' }).click();
    await table.locator('th[aria-sort="descending"]', { hasText: 'Score' }).waitFor();
    assert.match(await rows.first().innerText(), /minimist/);
    await page.getByLabel('Filter vulnerabilities').fill('lodash');
    await vulns.getByText(`1 of ${expected} findings`).waitFor();
    assert.match(await rows.first().innerText(), /CVE-2021-23337[\s\S]*GHSA-35jh-r3h4-6jhm[\s\S]*lodash[\s\S]*4\.17\.20[\s\S]*4\.17\.21/);
    await page.getByLabel('Filter vulnerabilities').fill('');
    await page.getByLabel('Severity', { exact: true }).selectOption('high');
    await vulns.getByText(`${glibc.length + 1} of ${expected} findings`).waitFor();
    assert.deepEqual(new Set(await rows.locator('td:first-child').allInnerTexts()), new Set(['High']));
    await shot(page, '30-artifact-vulnerabilities');

    // The repository page lists the counts per artifact.
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'prod/app' }).click();
    await page.getByRole('img', { name: `1 critical, ${glibc.length + 1} high${bashVulnerable ? ', 1 unknown' : ''}` }).first().waitFor();
    await shot(page, '33-repository-vulnerabilities');

    // The Security page: totals, the worst artifact, "scan all" updates it live as prod/base gets scanned.
    await nav(page, 'Security');
    await page.locator('.stat-value', { hasText: /^1 of 2$/ }).waitFor();
    const worst = page.getByRole('table', { name: 'Most vulnerable artifacts' });
    await worst.getByRole('link', { name: 'prod/app:1.0' }).waitFor();
    await page.getByRole('table', { name: 'Most widespread vulnerabilities' }).getByText('CVE-2021-44906').waitFor();
    await page.getByRole('button', { name: 'Scan all' }).click();
    await page.getByText('Queued 2 artifacts for scanning.', { exact: false }).waitFor();
    await page.locator('.stat-value', { hasText: /^2 of 2$/ }).waitFor({ timeout: 30_000 });
    assert.equal(await scannedTile.innerText(), '2 of 2');
    await worst.getByRole('link', { name: 'prod/base:1.0' }).waitFor();
    assert.equal(await page.locator('.stat-sev-critical .stat-value').innerText(), '1');
    assert.equal(await page.locator('.stat-sev-high .stat-value').innerText(), String(2 * glibc.length + 1));

    // The pull gate of project prod: high or worse, unscanned blocked, lodash's CVE allowed until a date.
    await page.getByLabel('Project', { exact: true }).selectOption('prod');
    const form = page.getByRole('form', { name: 'Scanning settings of prod' });
    await form.getByLabel('Block pulls at').selectOption('high');
    await form.getByRole('radio', { name: 'Block pulls' }).click();
    await form.getByRole('switch', { name: 'Scan on push' }).check();
    await form.getByLabel('Vulnerability id to allow').fill('CVE-2021-23337');
    const year = new Date().getFullYear() + 1;
    await form.getByLabel('until').fill(`${year}-06-30`);
    await form.getByRole('button', { name: 'Add to allowlist' }).click();
    await form.getByRole('cell', { name: 'CVE-2021-23337', exact: true }).waitFor();
    await form.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved the scanning settings of prod.').waitFor();
    await shot(page, '31-security');

    // A real client is blocked with the worst CVEs named.
    await assert.rejects(
      skopeo(['copy', '--src-tls-verify=false', '--src-creds', creds, `docker://${berth.host}/prod/app:1.0`, `oci:${path.join(work, 'pulled')}:1.0`]),
      /pull blocked by the vulnerability policy \(high or worse\): CVE-2021-44906/,
    );

    // The system allowlist: an admin adds an entry without expiry and saves it.
    const system = card(page, 'System allowlist');
    await system.getByText('The list is empty').waitFor();
    await system.getByLabel('Vulnerability id to allow').fill('CVE-2021-44906');
    await system.getByRole('button', { name: 'Add to allowlist' }).click();
    await system.getByText('Unsaved changes').waitFor();
    await system.getByRole('button', { name: 'Save allowlist' }).click();
    await page.getByText('Saved the system allowlist.').waitFor();

    // Everything was saved: a fresh page shows it.
    await page.reload();
    await page.getByLabel('Project', { exact: true }).selectOption('prod');
    await form.getByLabel('Block pulls at').waitFor();
    assert.equal(await form.getByLabel('Block pulls at').inputValue(), 'high');
    assert.equal(await form.getByRole('radio', { name: 'Block pulls' }).getAttribute('aria-checked'), 'true');
    assert.equal(await form.getByRole('switch', { name: 'Scan on push' }).isChecked(), true);
    const allowed = form.getByRole('row', { name: /CVE-2021-23337/ });
    assert.match(await allowed.innerText(), new RegExp(`${year}`));
    await system.getByRole('cell', { name: 'CVE-2021-44906', exact: true }).waitFor();
    assert.match(await system.getByRole('row', { name: /CVE-2021-44906/ }).innerText(), /no expiry/);
    await shot(page, '32-security-settings');

    // Scan on push, switched on above: a pushed image whose layer is not the gzip it claims is scanned at once,
    // and its page shows why the scan failed (live, if the scan ends after the page loaded).
    const good = await makeLayer({ 'etc/os-release': fs.readFileSync('/etc/os-release') });
    const bad = blobOf(Buffer.from('not a gzip stream'), 'application/vnd.oci.image.layer.v1.tar+gzip');
    const brokenConfig = blobOf(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [good.diffId, bad.digest] } })), 'application/vnd.oci.image.config.v1+json');
    const broken: Image = {
      config: brokenConfig,
      layers: [good.blob, bad],
      manifest: blobOf(
        Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: descriptor(brokenConfig), layers: [descriptor(good.blob), descriptor(bad)] })),
        'application/vnd.oci.image.manifest.v1+json',
      ),
    };
    // Pushed over plain HTTP: skopeo would sniff the layer and rewrite its media type.
    const authz = { authorization: `Basic ${Buffer.from(creds).toString('base64')}` };
    for (const b of [brokenConfig, good.blob, bad]) {
      const r = await fetch(`${berth.url}/v2/prod/broken/blobs/uploads/?digest=${b.digest}`, { method: 'POST', body: b.bytes, headers: { ...authz, 'content-type': 'application/octet-stream' } });
      assert.equal(r.status, 201, await r.text());
    }
    const put = await fetch(`${berth.url}/v2/prod/broken/manifests/1`, { method: 'PUT', body: broken.manifest.bytes, headers: { ...authz, 'content-type': broken.manifest.mediaType } });
    assert.equal(put.status, 201, await put.text());
    await page.goto(`${berth.url}/artifacts/prod/broken@${broken.manifest.digest}`);
    await vulns.getByText('The scan failed.').waitFor({ timeout: 30_000 });
    assert.match(await vulns.getByRole('alert').innerText(), new RegExp(`layer ${bad.digest}`));
    // Scanning again answers 422; the page shows the report's reason once, not a second error.
    const [again] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/scan')), vulns.getByRole('button', { name: 'Scan now' }).click()]);
    assert.equal(again.status(), 422);
    await vulns.getByRole('button', { name: 'Scan now' }).waitFor();
    await vulns.getByText('The scan failed.').waitFor();
    assert.equal(await vulns.getByRole('alert').count(), 1);
    await shot(page, '34-artifact-scan-failed');
    assert.deepEqual(problems, [], 'the browser reported errors');
  } catch (e) {
    if (page) await shot(page, 'security-failure').catch(() => undefined);
    throw e;
  } finally {
    await browser?.close();
    await berth?.stop();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(profile, { recursive: true, force: true });
  }
});
