import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { startBerthProcess, skopeo, repoRoot, type BerthProcess } from '../helpers/processes.js';
import { tempDir, ADMIN_PASSWORD } from '../helpers/test-registry.js';
import { makeImage, makeIndex, writeLayout, imageBlobs } from '../helpers/oci-image.js';
import { contrastProblems, overflowing, pageBackground, scrollWidth, storedItem, launchChromium, settled, shot, shotsDir, signIn } from '../helpers/gui.js';

/*
 * The GUI on every page at phone width (390 px: nothing scrolls sideways, the navigation is a menu) and at
 * desktop width, in the light and the dark theme, with WCAG AA contrast measured on every text. Screenshots of
 * each combination go to test-output/screenshots/ (theme-<width>-<theme>-<page>.png).
 */

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const creds = `admin:${ADMIN_PASSWORD}`;

async function pushSample(work: string, host: string): Promise<void> {
  const amd64 = await makeImage({ arch: 'amd64', layers: 2 });
  const arm64 = await makeImage({ arch: 'arm64' });
  const index = makeIndex([{ image: amd64, arch: 'amd64' }, { image: arm64, arch: 'arm64' }]);
  const layout = path.join(work, 'layout');
  writeLayout(layout, [...imageBlobs(amd64), ...imageBlobs(arm64)], { '1.0': index });
  // A long repository name: the phone layout must wrap or scroll it inside its box, never widen the page.
  for (const repo of ['team/web-app', 'edge/site-controllers/very-long-repository-name-for-wrapping']) {
    await skopeo(['copy', '--all', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout}:1.0`, `docker://${host}/${repo}:1.0`]);
  }
}


test('GUI: every page at 390 px and desktop width, light and dark, AA contrast; phone menu; theme toggle', { timeout: 300_000 }, async () => {
  assert.ok(fs.existsSync(path.join(repoRoot, 'renderer', 'dist', 'index.html')), 'renderer/dist is missing: run npm run build');
  fs.mkdirSync(shotsDir, { recursive: true });
  const work = tempDir('berth-e2e-responsive-');
  const profile = tempDir('berth-e2e-chromium-');
  let berth: BerthProcess | undefined;
  let browser: BrowserContext | undefined;
  let page: Page | undefined;
  try {
    berth = await startBerthProcess(path.join(work, 'data'));
    await pushSample(work, berth.host);
    browser = await launchChromium(profile, PHONE);
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(15_000);
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.emulateMedia({ colorScheme: 'light' });

    // The login page first, at phone width.
    await page.goto(`${berth.url}/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.ok((await scrollWidth(page)) <= PHONE.width, 'login page scrolls sideways at 390 px');
    const failures = (await contrastProblems(page)).map((p) => `login (light): ${p}`);
    await shot(page, 'theme-390-light-login');
    await signIn(page, berth.url);

    // Phone navigation: a menu button; the links are hidden until it opens and it closes after a choice.
    const menu = page.getByRole('button', { name: 'Menu' });
    const reposLink = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Repositories', exact: true });
    assert.equal(await reposLink.isVisible(), false, 'navigation is folded away at 390 px');
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    await menu.click();
    await reposLink.click();
    await page.getByRole('heading', { name: 'Repositories' }).waitFor();
    await reposLink.waitFor({ state: 'hidden' });
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');

    // Every page: the navigation's targets plus a repository, an index and an image page.
    const navTargets = await page.locator('nav[aria-label="Main"] a').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
    await page.getByRole('link', { name: 'team/web-app' }).click();
    await page.getByRole('link', { name: '1.0', exact: true }).click();
    await page.getByRole('heading', { name: /Platforms \(2\)/ }).waitFor();
    const indexPage = new URL(page.url()).pathname;
    await page.getByRole('cell', { name: 'linux/amd64' }).locator('xpath=..').getByRole('link').first().click();
    await page.getByRole('heading', { name: /Layers \(2\)/ }).waitFor();
    const imagePage = new URL(page.url()).pathname;
    const targets = [
      ...navTargets,
      '/repositories/team/web-app',
      '/repositories/edge/site-controllers/very-long-repository-name-for-wrapping',
      indexPage,
      imagePage,
    ];
    assert.ok(navTargets.length >= 10, `expected every page in the navigation, got ${navTargets.join(' ')}`);
    const label = (t: string) => (t === '/' ? 'dashboard' : t === indexPage ? 'artifact-index' : t === imagePage ? 'artifact-image' : t.slice(1).replace(/\W+/g, '-').slice(0, 40));

    for (const theme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: theme });
      for (const size of [PHONE, DESKTOP]) {
        await page.setViewportSize(size);
        for (const t of targets) {
          await page.goto(`${berth.url}${t}`);
          await settled(page);
          const width = await scrollWidth(page);
          if (width > size.width) failures.push(`${t} at ${size.width} px (${theme}): scrollWidth ${width} (${(await overflowing(page, size.width)).join(', ')})`);
          for (const p of await contrastProblems(page)) failures.push(`${t} at ${size.width} px (${theme}): ${p}`);
          await shot(page, `theme-${size.width}-${theme}-${label(t)}`);
        }
      }
    }
    assert.deepEqual(failures, []);

    // Themes: the system setting is followed until the toggle pins a choice, which survives a reload.
    await page.setViewportSize(DESKTOP);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`${berth.url}/`);
    await settled(page);
    const light = await pageBackground(page);
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await pageBackground(page);
    assert.notEqual(light, dark, 'prefers-color-scheme: dark changes the page');
    await page.getByRole('button', { name: 'Use the light theme' }).click();
    assert.equal(await pageBackground(page), light);
    assert.equal(await storedItem(page, 'berth.theme'), 'light');
    await page.reload();
    await settled(page);
    assert.equal(await pageBackground(page), light, 'the chosen light theme is remembered over the dark system setting');
    await shot(page, 'theme-toggle-light-over-dark-system');
    // Choosing what the system asks for forgets the choice: the GUI follows the system again.
    await page.getByRole('button', { name: 'Use the dark theme' }).click();
    assert.equal(await pageBackground(page), dark);
    assert.equal(await storedItem(page, 'berth.theme'), null);
    await page.emulateMedia({ colorScheme: 'light' });
    assert.equal(await pageBackground(page), light);
    await page.getByRole('button', { name: 'Use the dark theme' }).click();
    await page.reload();
    await settled(page);
    assert.equal(await pageBackground(page), dark, 'the chosen dark theme is remembered over the light system setting');

    assert.deepEqual(problems, []);
  } catch (e) {
    if (page) await shot(page, 'failure-responsive').catch(() => undefined);
    throw e;
  } finally {
    await browser?.close();
    await berth?.stop();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(profile, { recursive: true, force: true });
  }
});
