import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startBerthProcess, skopeo, repoRoot, type BerthProcess } from '../helpers/processes.js';
import { tempDir, ADMIN_PASSWORD } from '../helpers/test-registry.js';
import { makeImage, writeLayout, imageBlobs } from '../helpers/oci-image.js';

/*
 * The Policies page end to end: the built `berth serve`, three tags pushed with skopeo, and Chromium adding an
 * immutability rule, setting a quota (the usage bar), adding a retention rule and running a dry run whose plan
 * names exactly the tag that would go; then a real push over the immutable tag is refused. Screenshot:
 * test-output/screenshots/40-policies.png.
 */

const shots = path.join(repoRoot, 'test-output', 'screenshots');
const creds = `admin:${ADMIN_PASSWORD}`;
const card = (page: Page, title: string) => page.locator('section.card').filter({ has: page.getByRole('heading', { name: title, exact: true }) });

test('GUI: immutability rule, quota with usage, retention rule and dry run', { timeout: 90_000 }, async () => {
  assert.ok(fs.existsSync(path.join(repoRoot, 'renderer', 'dist', 'index.html')), 'renderer/dist is missing: run npm run build');
  fs.mkdirSync(shots, { recursive: true });
  const work = tempDir('berth-e2e-policies-');
  const profile = tempDir('berth-e2e-chromium-');
  let berth: BerthProcess | undefined;
  let browser: BrowserContext | undefined;
  try {
    berth = await startBerthProcess(path.join(work, 'data'));
    const layout = path.join(work, 'layout');
    const images = { v1: await makeImage(), v2: await makeImage(), v3: await makeImage() };
    writeLayout(layout, Object.values(images).flatMap(imageBlobs), { v1: images.v1.manifest, v2: images.v2.manifest, v3: images.v3.manifest });
    for (const tag of ['v1', 'v2', 'v3']) {
      await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout}:${tag}`, `docker://${berth.host}/team/app:${tag}`]);
    }

    browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
      viewport: { width: 1280, height: 800 },
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(15_000);
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()} (${m.location().url})`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

    await page.goto(`${berth.url}/`);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Policies', exact: true }).click();
    await page.getByLabel('Project', { exact: true }).selectOption('team');

    // Immutability: v1 of every repository.
    const imm = card(page, 'Immutable tags');
    await imm.getByLabel('Tags').fill('v1');
    await imm.getByRole('button', { name: 'Add rule' }).click();
    await imm.getByText(/Added rule #\d+: tags “v1” of repositories “\*\*” are immutable\./).waitFor();
    await imm.getByRole('table', { name: 'Immutability rules of team' }).getByRole('cell', { name: 'v1', exact: true }).waitFor();

    // Quota: 5 MB; the bar shows what the three images use.
    const quota = card(page, 'Storage quota');
    await quota.getByLabel('Limit', { exact: true }).fill('5');
    await quota.getByLabel('Unit').selectOption('MB');
    await quota.getByRole('button', { name: 'Set limit' }).click();
    await quota.getByText('The storage limit of team is 5.00 MB.').waitFor();
    await quota.getByText(/of 5\.00 MB used \(\d/).waitFor();
    const meter = quota.getByRole('progressbar', { name: 'Storage used by team' });
    assert.ok(Number(await meter.getAttribute('aria-valuenow')) >= 0);

    // Retention: v* keeps the newest one; the dry run keeps v3 (newest) and v1 (immutable), would remove v2.
    const ret = card(page, 'Tag retention');
    await ret.getByLabel('Tags', { exact: true }).fill('v*');
    await ret.getByLabel('Keep most recent').fill('1');
    await ret.getByRole('button', { name: 'Add rule' }).click();
    await ret.getByText(/Added retention rule #\d+\./).waitFor();
    await ret.getByRole('table', { name: 'Retention rules of team' }).getByText('the 1 most recently pushed').waitFor();
    await ret.getByRole('button', { name: 'Dry run' }).click();
    await ret.getByText('Dry run: a run now would remove 1 tag and 1 manifest. Nothing was removed.').waitFor();
    const plan = ret.getByRole('table', { name: 'Plan for team/app' });
    const rows = await plan.locator('tr').allInnerTexts();
    assert.deepEqual(
      rows.map((r) => r.replace(/\s+/g, ' ').trim()),
      [':v2 remove image retained by no rule (#1)', ':v1 keep immutable (immutability rule #1)', ':v3 keep among the 1 most recently pushed (rule #1)'],
    );
    await ret.getByRole('table', { name: 'Retention runs of team' }).getByText('dry run').waitFor();
    await page.screenshot({ path: path.join(shots, '40-policies.png'), fullPage: true });

    // Nothing was removed, and a real client cannot move the immutable tag.
    const list = await fetch(`${berth.url}/v2/team/app/tags/list`, { headers: { authorization: `Basic ${Buffer.from(creds).toString('base64')}` } });
    assert.deepEqual(((await list.json()) as { tags: string[] }).tags, ['v1', 'v2', 'v3']);
    await assert.rejects(
      skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout}:v2`, `docker://${berth.host}/team/app:v1`]),
      /tag team\/app:v1 is immutable/,
    );
    assert.deepEqual(problems, []);
  } finally {
    await browser?.close();
    await berth?.stop();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(profile, { recursive: true, force: true });
  }
});
