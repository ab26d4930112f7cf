import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startBerthProcess, skopeo, repoRoot, type BerthProcess } from '../helpers/processes.js';
import { tempDir, ADMIN_PASSWORD } from '../helpers/test-registry.js';
import { startDistribution, type DistributionRegistry } from '../helpers/docker-registry.js';
import { seedImage, plain } from '../helpers/replication.js';

/*
 * The GUI of the features beyond the core, end to end: the built `berth serve`, a real Distribution registry
 * as headquarters, Chromium through playwright-core. Registries → proxy cache (pulled through with skopeo) →
 * replication rule with live preview, run and watched to completion → export downloaded → imported by upload.
 * Screenshots of every page go to test-output/screenshots/.
 */

const shots = path.join(repoRoot, 'test-output', 'screenshots');
const creds = `admin:${ADMIN_PASSWORD}`;
const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

test('GUI: registries, proxy cache, replication, export and import', { timeout: 120_000 }, async () => {
  assert.ok(fs.existsSync(path.join(repoRoot, 'renderer', 'dist', 'index.html')), 'renderer/dist is missing: run npm run build');
  fs.mkdirSync(shots, { recursive: true });
  const work = tempDir('berth-e2e-features-');
  const profile = tempDir('berth-e2e-chromium-');
  let berth: BerthProcess | undefined;
  let hq: DistributionRegistry | undefined;
  let browser: BrowserContext | undefined;
  let page: Page | undefined;
  try {
    hq = await startDistribution();
    await seedImage(hq.host, 'apps/web', '1.0');
    await seedImage(hq.host, 'apps/web', '2.0');
    await seedImage(hq.host, 'library/busybox', 'latest');
    berth = await startBerthProcess(path.join(work, 'data'), { BERTH_SECRET_KEY: 'e2e-secret-key-0123456789abcdef0123456789' });

    browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
      viewport: { width: 1280, height: 800 },
      acceptDownloads: true,
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(15_000);
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

    await page.goto(`${berth.url}/`);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

    // Replication before any registry: the page says what to do first.
    await nav(page, 'Replication');
    await page.getByText('Add a registry first').waitFor();

    // Registries: add headquarters with a password, test the connection.
    await nav(page, 'Registries');
    await page.getByText('No remote registries yet').waitFor();
    await page.getByRole('button', { name: 'Add registry' }).click();
    await page.getByLabel('Name', { exact: true }).fill('hq');
    await page.getByLabel('Address').fill(hq.url);
    await page.getByLabel('User (optional)').fill('robot');
    await page.getByLabel('Password or token').fill('hq-password');
    await page.getByText('Skip TLS verification').click();
    await page.getByRole('button', { name: 'Add registry' }).last().click();
    await page.getByText('Saved hq.').waitFor();
    await page.getByText('password stored').waitFor();
    await page.getByRole('button', { name: 'Test connection to hq' }).click();
    await page.getByText(/✓ connected/).waitFor();
    await shot(page, '20-registries');

    // Proxy cache: create, pull through it with skopeo, see the cache fill.
    await nav(page, 'Proxy caches');
    await page.getByText('No proxy caches yet').waitFor();
    await page.getByRole('button', { name: 'New proxy cache' }).click();
    await page.getByLabel('Project').fill('hq-cache');
    await page.getByLabel('Cache cap (GB)').fill('1');
    await page.getByRole('button', { name: 'Create proxy cache' }).click();
    await page.getByText('Saved hq-cache.').waitFor();
    await skopeo(['copy', ...plain, '--src-creds', creds, `docker://${berth.host}/hq-cache/library/busybox:latest`, `oci:${path.join(work, 'pulled')}:latest`]);
    await page.reload();
    await page.getByText(/\d+ hits · [1-9]\d* misses/).waitFor();
    assert.notEqual(await page.getByText('0 B', { exact: true }).count(), 1, 'the cache size is shown');
    await page.getByRole('switch', { name: 'Serve hq-cache from cache only' }).click();
    await page.getByText('cache only', { exact: true }).waitFor();
    await shot(page, '21-proxy-caches');
    await page.getByRole('switch', { name: 'Serve hq-cache from cache only' }).click();
    await page.getByText('online', { exact: true }).waitFor();

    // Replication: the editor's live preview, save, run, watch it complete, open the per-artifact tasks.
    await nav(page, 'Replication');
    await page.getByRole('button', { name: 'New rule' }).click();
    await page.getByLabel('Name', { exact: true }).fill('from-hq');
    await page.getByLabel('Repositories', { exact: true }).fill('apps/**');
    await page.getByLabel('Tags', { exact: true }).fill('1.*');
    await page.getByLabel('Destination prefix').fill('mirror');
    await page.getByLabel('Schedule (cron)').fill('every night');
    await page.getByText('mirror/apps/web:1.0').waitFor();
    await page.getByText(/Matches 1 tag in 1 repository: 1 to copy/).waitFor();
    await shot(page, '22-replication-editor');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByText(/a cron expression/).waitFor();
    await page.getByLabel('Schedule (cron)').fill('0 2 * * *');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByText('Saved rule from-hq.').waitFor();
    await page.getByRole('button', { name: 'Run from-hq now' }).click();
    await page.getByRole('cell', { name: /succeeded/ }).first().waitFor({ timeout: 30_000 });
    await page.getByText('mirror/apps/web:1.0', { exact: true }).waitFor();
    await page.getByRole('progressbar', { name: 'mirror/apps/web:1.0 succeeded' }).waitFor();
    await shot(page, '23-replication-run');
    assert.equal(problems.filter((p) => !/status of 400/.test(p)).length, 0, problems.join('\n'));
    problems.length = 0;

    // Offline transfer: export the replicated repository as a download, import it back by upload.
    await nav(page, 'Offline transfer');
    await page.getByText('No imports or exports yet').waitFor();
    await page.getByRole('checkbox', { name: /mirror\/apps\/web/ }).check();
    await page.getByText(/1 image/).first().waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download bundle' }).click()]);
    assert.match(download.suggestedFilename(), /^berth-bundle-.*\.tar\.gz$/);
    const bundle = path.join(work, download.suggestedFilename());
    await download.saveAs(bundle);
    assert.ok(fs.statSync(bundle).size > 1000);
    await page.getByRole('cell', { name: /Export/ }).first().waitFor();
    await page.getByLabel('File').setInputFiles(bundle);
    await page.getByRole('button', { name: 'Upload and import' }).click();
    await page.getByText(/Already here: mirror\/apps\/web:1.0/).waitFor();
    await page.getByRole('cell', { name: /Import .*berth-bundle/ }).first().waitFor();
    await shot(page, '24-transfer');

    await nav(page, 'Dashboard');
    // Proxy tile: the pull through hq-cache missed (so the rate is below 100 %), fetched bytes upstream and
    // served them; hq answered, so it is up. Replication tile: from-hq succeeded and runs next at 02:00.
    await page.getByText('Proxy cache hit rate').waitFor();
    const proxyTile = page.locator('.stat', { hasText: 'Proxy cache hit rate' });
    const rate = Number((await proxyTile.locator('.stat-value').innerText()).replace(/\s*%$/, ''));
    assert.ok(rate >= 0 && rate < 100, `hit rate after a cold pull: ${rate}`);
    assert.match(await proxyTile.innerText(), /\d+ hits? · [1-9]\d* miss(es)?/);
    assert.match(await proxyTile.innerText(), /[1-9][\d.]* (B|KB|MB|KiB|MiB) served · [1-9][\d.]* (B|KB|MB|KiB|MiB) from upstream · [\d.]+ (B|KB|MB|KiB|MiB) saved/);
    await proxyTile.getByLabel('Upstream health').getByText('hq: up').waitFor();
    assert.doesNotMatch((await proxyTile.getAttribute('class')) ?? '', /stat-bad/);
    const replTile = page.locator('.stat', { hasText: 'Replication' }).filter({ hasText: 'from-hq' });
    await replTile.getByText(/succeeded (just now|\d+ min ago)/).waitFor();
    assert.equal(await replTile.locator('.stat-value').innerText(), '1 rule');
    const next = await replTile.getByText(/^next /).innerText();
    assert.match(next, /02:00|2:00/, `the next run of "0 2 * * *": ${next}`);
    await shot(page, '25-dashboard-features');
    assert.deepEqual(problems, [], 'the browser reported errors');
  } catch (e) {
    if (page) await shot(page, 'features-failure').catch(() => undefined);
    throw e;
  } finally {
    await browser?.close();
    await berth?.stop();
    await hq?.stop();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(profile, { recursive: true, force: true });
  }
});
