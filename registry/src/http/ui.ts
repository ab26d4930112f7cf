import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ctx, Middleware } from './state.js';

/**
 * The strict CSP of the GUI: everything from this origin, nothing inline, no framing. The bundle is built
 * to need nothing more (no CDN, no inline scripts or styles).
 */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths the GUI must never shadow (the registry and API answer these, including their 404s). */
const reserved = /^\/(v2|api|auth)(\/|$)|^\/(metrics|healthz|readyz)$/;

/** renderer/dist, found upward from this file so it works from the sources (tsx) and from dist/. */
export function findUiDir(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'renderer', 'dist');
    if (fs.existsSync(path.join(candidate, 'index.html'))) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}

function securityHeaders(ctx: Ctx): void {
  ctx.set('Content-Security-Policy', UI_CSP);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
  ctx.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
}

/**
 * Serves the built GUI at `/`: files as they are, any other page path gets index.html (client-side
 * routing). Hashed files under /assets/ are cached for a year; everything else is revalidated each time.
 */
export function uiMiddleware(dir: string | undefined): Middleware {
  const root = dir ? path.resolve(dir) : undefined;
  return async (ctx: Ctx, next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || reserved.test(ctx.path)) return next();
    ctx.state.route = 'ui';
    if (!root || !fs.existsSync(path.join(root, 'index.html'))) {
      securityHeaders(ctx);
      ctx.status = 503;
      ctx.type = 'text/plain';
      ctx.body = 'The Berth GUI is not built. Run `npm run build` (it builds renderer/dist), then restart Berth.\n';
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(ctx.path);
    } catch {
      return next();
    }
    const file = path.resolve(root, `.${path.posix.normalize(rel)}`);
    let target = file.startsWith(root + path.sep) ? file : undefined;
    let stat = target ? statFile(target) : undefined;
    if (!stat) {
      // Unknown asset files are 404s; any other path is a page of the single-page app.
      if (/^\/assets\//.test(rel) || path.extname(rel) !== '') return next();
      target = path.join(root, 'index.html');
      stat = statFile(target);
      if (!stat) return next();
    }
    securityHeaders(ctx);
    ctx.set('Cache-Control', rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    ctx.lastModified = stat.mtime;
    ctx.type = path.extname(target!) || 'application/octet-stream';
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    // koa sends no body for HEAD; an empty string avoids opening a file that would never be read.
    ctx.body = ctx.method === 'HEAD' ? '' : fs.createReadStream(target!);
    ctx.length = stat.size;
  };
}

function statFile(p: string): fs.Stats | undefined {
  try {
    const s = fs.statSync(p);
    return s.isFile() ? s : undefined;
  } catch {
    return undefined;
  }
}
