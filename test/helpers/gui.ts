import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from './processes.js';
import { ADMIN_PASSWORD } from './test-registry.js';

/** Shared by the GUI e2e tests: Debian's Chromium through playwright-core, screenshots, sign-in. */

/*
 * The functions below that run inside Chromium use a few DOM names. The test program is compiled without the
 * DOM library (it would retype Node's fetch for every test), so they are declared here, for this module only.
 */
interface DomStyle { backgroundColor: string; color: string; fill: string; opacity: string; fontSize: string; fontWeight: string; overflowX: string }
interface Element {
  tagName: string;
  className: unknown;
  parentElement: Element | null;
  closest(selector: string): Element | null;
  checkVisibility(options: object): boolean;
  getBoundingClientRect(): { right: number; width: number; height: number };
}
declare const document: {
  documentElement: Element & { scrollWidth: number };
  body: Element;
  querySelector(selector: string): Element | null;
  querySelectorAll(selector: string): Iterable<Element>;
  createTreeWalker(root: Element, what: number): { nextNode(): { parentElement: Element | null; textContent: string | null } | null };
};
declare const getComputedStyle: (e: Element) => DomStyle;
declare const NodeFilter: { SHOW_TEXT: number };
declare const SVGElement: abstract new () => Element;
declare const localStorage: { getItem(key: string): string | null };

export const shotsDir = path.join(repoRoot, 'test-output', 'screenshots');

export function launchChromium(profile: string, viewport = { width: 1280, height: 800 }): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
    viewport,
    acceptDownloads: true,
  });
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(shotsDir, `${name}.png`), fullPage: true });
}

export async function signIn(page: Page, url: string, user = 'admin', password = ADMIN_PASSWORD): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
}

/** tsx compiles with esbuild's keepNames, which wraps inner functions in __name(); the page has no such helper. */
async function shimNames(page: Page): Promise<void> {
  await page.evaluate('globalThis.__name ??= (f) => f');
}

/** The elements that stick out past the right edge outside any scrolling box, for a failure message. */
export async function overflowing(page: Page, width: number): Promise<string[]> {
  await shimNames(page);
  return page.evaluate((w) => {
    const clipped = (e: Element | null): boolean => !!e && (getComputedStyle(e).overflowX !== 'visible' || clipped(e.parentElement));
    const out: string[] = [];
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.right > w + 0.5 && r.width > 0 && !clipped(el.parentElement)) out.push(`${el.tagName.toLowerCase()}.${String(el.className)} right=${Math.round(r.right)}`);
    }
    return out.slice(0, 4);
  }, width);
}

export const scrollWidth = (page: Page): Promise<number> => page.evaluate(() => document.documentElement.scrollWidth);
export const pageBackground = (page: Page): Promise<string> => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
export const storedItem = (page: Page, key: string): Promise<string | null> => page.evaluate((k) => localStorage.getItem(k), key);

/** Waits until the page shows no loading spinner (bounded by the page's default timeout). */
export async function settled(page: Page): Promise<void> {
  await page.locator('main h1').first().waitFor();
  await page.waitForFunction(() => document.querySelector('.loading') === null);
}

/**
 * WCAG AA contrast of every visible text node on the page: 4.5:1, or 3:1 for large text (24 px, or 18.66 px
 * bold). Runs in the page; the background is found by compositing the ancestors' background colours (a
 * gradient counts as transparent), the text colour includes its alpha and the ancestors' opacity. Disabled
 * controls are exempt (WCAG 1.4.3). Returns one line per failing text.
 */
export async function contrastProblems(page: Page): Promise<string[]> {
  await shimNames(page);
  return page.evaluate(() => {
    type Rgba = [number, number, number, number];
    const parse = (c: string): Rgba | undefined => {
      const m = /rgba?\(([^)]+)\)/.exec(c);
      if (!m) return undefined;
      const n = m[1]!.split(/[\s,/]+/).filter(Boolean).map(Number);
      return [n[0]!, n[1]!, n[2]!, n[3] ?? 1];
    };
    const over = (top: Rgba, under: Rgba): Rgba => {
      const a = top[3];
      return [top[0] * a + under[0] * (1 - a), top[1] * a + under[1] * (1 - a), top[2] * a + under[2] * (1 - a), 1];
    };
    const lum = (c: Rgba) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
    };
    const background = (el: Element): Rgba => {
      const layers: Rgba[] = [];
      for (let e: Element | null = el; e; e = e.parentElement) {
        const bg = parse(getComputedStyle(e).backgroundColor);
        if (bg && bg[3] > 0) {
          layers.push(bg);
          if (bg[3] >= 1) break;
        }
      }
      let base: Rgba = [255, 255, 255, 1];
      for (let i = layers.length - 1; i >= 0; i--) base = over(layers[i]!, base);
      return base;
    };
    const out: string[] = [];
    const seen = new Set<Element>();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || seen.has(el) || !n.textContent?.trim()) continue;
      seen.add(el);
      if (el.closest('option, script, style, .sr-only, [aria-hidden="true"], :disabled, [aria-disabled="true"]')) continue;
      if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const cs = getComputedStyle(el);
      const fg = parse(el instanceof SVGElement ? cs.fill : cs.color);
      if (!fg) continue;
      let opacity = 1;
      for (let e: Element | null = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
      const bg = background(el);
      const text = over([fg[0], fg[1], fg[2], fg[3] * opacity], bg);
      const [hi, lo] = [lum(text), lum(bg)].sort((a, b) => b - a) as [number, number];
      const ratio = (hi + 0.05) / (lo + 0.05);
      const size = parseFloat(cs.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) {
        const rgb = (c: Rgba) => `rgb(${c.slice(0, 3).map(Math.round).join(',')})`;
        out.push(`"${n.textContent.trim().slice(0, 40)}" ${ratio.toFixed(2)}:1 ${rgb(text)} on ${rgb(bg)} (${el.tagName.toLowerCase()}.${el.className})`);
      }
    }
    return out;
  });
}
