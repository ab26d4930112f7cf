import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startBerthProcess, skopeo, repoRoot, type BerthProcess } from '../helpers/processes.js';
import { tempDir, ADMIN_PASSWORD } from '../helpers/test-registry.js';
import { makeImage, makeIndex, makeArtifact, writeLayout, imageBlobs } from '../helpers/oci-image.js';

/*
 * The GUI end to end: the built `berth serve` (registry + admin API + renderer/dist) in its own process,
 * content pushed with skopeo, and Debian's Chromium driven by playwright-core through every page. Each page
 * is saved under test-output/screenshots/ for a person to look at.
 */

const shots = path.join(repoRoot, 'test-output', 'screenshots');
const creds = `admin:${ADMIN_PASSWORD}`;

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

test('GUI: sign in, browse a pushed repository and artifact, run GC, manage a user', { timeout: 120_000 }, async () => {
  assert.ok(fs.existsSync(path.join(repoRoot, 'renderer', 'dist', 'index.html')), 'renderer/dist is missing: run npm run build');
  fs.mkdirSync(shots, { recursive: true });
  const work = tempDir('berth-e2e-gui-');
  const profile = tempDir('berth-e2e-chromium-');
  let berth: BerthProcess | undefined;
  let browser: BrowserContext | undefined;
  let failurePage: Page | undefined;
  try {
    berth = await startBerthProcess(path.join(work, 'data'));

    // A two-platform image (index) tagged 1.0, plus an SBOM that refers to it, pushed with skopeo.
    const amd64 = await makeImage({ arch: 'amd64', layers: 2 });
    const arm64 = await makeImage({ arch: 'arm64' });
    const index = makeIndex([{ image: amd64, arch: 'amd64' }, { image: arm64, arch: 'arm64' }]);
    const layout = path.join(work, 'layout');
    writeLayout(layout, [...imageBlobs(amd64), ...imageBlobs(arm64)], { '1.0': index });
    await skopeo(['copy', '--all', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout}:1.0`, `docker://${berth.host}/team/web-app:1.0`]);
    const sbom = makeArtifact({ artifactType: 'application/spdx+json', subject: index, payload: Buffer.from('{"spdxVersion":"SPDX-2.3"}'), payloadType: 'application/spdx+json' });
    const sbomLayout = path.join(work, 'sbom');
    writeLayout(sbomLayout, sbom.blobs, { sbom: sbom.manifest });
    await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${sbomLayout}:sbom`, `docker://${berth.host}/team/web-app:sbom`]);
    // A pull, so the dashboard's chart has something to show.
    await skopeo(['inspect', '--raw', '--tls-verify=false', '--creds', creds, `docker://${berth.host}/team/web-app:1.0`]);

    // A fresh profile folder per run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
      viewport: { width: 1280, height: 800 },
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(10_000);
    failurePage = page;
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

    // Login page, a wrong password first.
    const res = await page.goto(`${berth.url}/`);
    assert.match(res!.headers()['content-security-policy'] ?? '', /script-src 'self'/);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong user name or password.').waitFor();
    // Chromium logs the expected 401; nothing else may have gone wrong.
    assert.deepEqual(problems.splice(0), ['console: Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
    await shot(page, '01-login');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();

    // Dashboard: counts, the pull we made, no empty-registry hint.
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByText('Images and artifacts').waitFor();
    await page.getByText(/[1-9]\d* pulls? in the last/).waitFor();
    assert.equal(await page.getByText('Your registry is empty').count(), 0);
    await page.getByRole('cell', { name: 'Pushed' }).first().waitFor();
    await shot(page, '02-dashboard');

    // Repositories → repository → artifact.
    await page.getByRole('link', { name: 'Repositories' }).click();
    await page.getByRole('link', { name: 'team/web-app' }).click();
    await page.getByRole('heading', { name: 'team/web-app' }).waitFor();
    await page.getByRole('link', { name: '1.0', exact: true }).waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'docker' }).inputValue(), `docker pull ${berth.host}/team/web-app:1.0`);
    await shot(page, '03-repository');
    await page.getByRole('link', { name: '1.0', exact: true }).click();
    await page.getByRole('heading', { name: /Platforms \(2\)/ }).waitFor();
    await page.getByRole('cell', { name: 'linux/amd64' }).waitFor();
    await page.getByRole('cell', { name: 'linux/arm64' }).waitFor();
    await page.getByText('SBOM').first().waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'podman' }).inputValue(), `podman pull --tls-verify=false ${berth.host}/team/web-app:1.0`);
    await shot(page, '04-artifact-index');
    await page.getByRole('cell', { name: 'linux/amd64' }).locator('xpath=..').getByRole('link').click();
    await page.getByRole('heading', { name: /Layers \(2\)/ }).waitFor();
    await shot(page, '05-artifact-image');

    // Delete the sbom tag with confirmation.
    await page.getByRole('link', { name: 'team/web-app' }).click();
    await page.getByRole('button', { name: 'Delete tag sbom' }).click();
    await page.getByRole('dialog').getByText('will be removed').waitFor();
    await shot(page, '06-delete-confirm');
    await page.getByRole('dialog').getByRole('button', { name: 'Delete tag sbom' }).click();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await page.getByRole('link', { name: 'sbom', exact: true }).waitFor({ state: 'detached' });

    // System: run GC.
    await page.getByRole('link', { name: 'System' }).click();
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByRole('heading', { name: 'Last result' }).waitFor();
    await page.getByText('Blobs removed').waitFor();
    // The GC schedule: a bad cron expression is refused in place, a good one is saved (and applied live).
    const schedule = page.getByLabel(/^Schedule \(cron/);
    await schedule.fill('every night');
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await page.locator('#gc-schedule-err').getByText(/not a valid cron expression/).waitFor();
    assert.deepEqual(problems.splice(0), ['console: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    await schedule.fill('0 3 * * *');
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await page.getByText('Scheduled GC now runs at “0 3 * * *”.').waitFor();
    await page.getByText('plain HTTP').first().waitFor();
    await shot(page, '07-system-gc');

    // Users: create, change role, disable, delete.
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('User name').fill('Bad Name');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.locator('#new-username-err').getByText(/lower-case letters/).waitFor();
    assert.deepEqual(problems.splice(0), ['console: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    await page.getByLabel('User name').fill('ci-bot');
    await page.getByLabel('Password', { exact: true }).fill('a-long-password');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByText('Created ci-bot.').waitFor();
    await page.getByLabel('Role of ci-bot').selectOption('guest');
    await page.getByText('ci-bot is now guest.').waitFor();
    await page.getByRole('row', { name: /ci-bot/ }).getByRole('button', { name: 'Disable' }).click();
    await page.getByText('ci-bot is disabled.').waitFor();
    await shot(page, '08-users');
    await page.getByRole('button', { name: 'Delete user ci-bot' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete user ci-bot' }).click();
    await page.getByText('Deleted ci-bot.').waitFor();
    // The message shows before the list has reloaded: wait for the row to go, then check it is gone.
    await page.getByRole('row', { name: /ci-bot/ }).waitFor({ state: 'detached', timeout: 5000 });
    assert.equal(await page.getByRole('row', { name: /ci-bot/ }).count(), 0);

    // Access tokens: create one, see it listed, and pull with it as the password.
    await page.getByRole('link', { name: 'Access tokens' }).click();
    await page.getByText('No access tokens yet').waitFor();
    await page.getByLabel('Name').fill('gui-e2e pipeline');
    await page.getByLabel('Expires after').selectOption('30');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = await page.getByLabel('New access token', { exact: true }).inputValue();
    assert.match(secret, /^berth_pat_/);
    await page.getByRole('table', { name: 'Access tokens' }).getByRole('row', { name: /gui-e2e pipeline/ }).waitFor();
    await shot(page, '08b-access-tokens');
    await skopeo(['inspect', '--raw', '--tls-verify=false', '--creds', `admin:${secret}`, `docker://${berth.host}/team/web-app:1.0`]);
    // An admin sees a user's tokens on the Users page and revokes a leaked one: it stops working at once.
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('row', { name: /^admin/ }).getByRole('button', { name: 'Tokens' }).click();
    const adminTokens = page.getByRole('table', { name: 'Access tokens of admin' });
    await adminTokens.getByRole('row', { name: /gui-e2e pipeline/ }).waitFor();
    await shot(page, '08c-user-tokens');
    await adminTokens.getByRole('button', { name: 'Revoke token gui-e2e pipeline' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke token gui-e2e pipeline' }).click();
    await page.getByText('admin has no access tokens.').waitFor();
    await assert.rejects(skopeo(['inspect', '--raw', '--tls-verify=false', '--creds', `admin:${secret}`, `docker://${berth.host}/team/web-app:1.0`]), /401|unauthorized|authentication/i);

    // Activity: the push, the tag deletion and the GC are in the audit log.
    await page.getByRole('link', { name: 'Activity' }).click();
    await page.getByText('Deleted tag').first().waitFor();
    await page.getByText('Garbage collection').first().waitFor();
    await shot(page, '09-activity');

    // An unknown page inside the app, and signing out.
    await page.goto(`${berth.url}/no/such/page`);
    await page.getByText('Page not found').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();

    assert.deepEqual(problems, [], 'the browser reported errors (CSP violations, exceptions)');
  } catch (e) {
    if (failurePage) await shot(failurePage, 'failure').catch(() => undefined);
    throw e;
  } finally {
    await browser?.close();
    await berth?.stop();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(profile, { recursive: true, force: true });
  }
});
