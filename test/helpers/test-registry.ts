import fs from 'node:fs';
import { startServer, type BerthServer } from '../../registry/src/server.js';
import { validateConfig } from '../../registry/src/config/load.js';
import type { BerthConfigInput } from '../../registry/src/config/schema.js';
import { createLogger } from '../../registry/src/logger.js';

export const ADMIN_PASSWORD = 'test-admin-pw';

export interface TestRegistry {
  server: BerthServer;
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT, as image references spell it */
  host: string;
  data: string;
  /** fetch against the server with admin Basic credentials unless `auth: false` or other credentials are given */
  fetch(p: string, init?: RequestInit & { auth?: false | { username: string; password: string } }): Promise<Response>;
  close(): Promise<void>;
}

import { tempDir } from './temp-dir.js';

export { tempDir };

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** A whole Berth in a temp folder on a random 127.0.0.1 port, in this process. */
export async function createTestRegistry(config: Partial<BerthConfigInput> = {}): Promise<TestRegistry> {
  const data = config.data ?? tempDir();
  const cfg = validateConfig({
    listen: '127.0.0.1:0',
    log: { level: 'silent', requests: false },
    gc: { schedule: '' },
    ...config,
    // A small reserve: every test server writes its ballast, and hundreds of 128 MiB ballasts would only cost time.
    storage: { reserveMiB: 1, ...config.storage },
    data,
  });
  const server = await startServer(cfg, { log: createLogger('silent'), env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  const url = server.url;
  return {
    server,
    url,
    host: url.replace(/^http:\/\//, ''),
    data,
    fetch(p, init = {}) {
      const { auth, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (auth !== false && !headers.has('authorization')) {
        const creds = auth ?? { username: 'admin', password: ADMIN_PASSWORD };
        headers.set('authorization', basic(creds.username, creds.password));
      }
      return fetch(`${url}${p}`, { ...rest, headers, redirect: 'manual' });
    },
    async close() {
      await server.close();
      if (!config.data) fs.rmSync(data, { recursive: true, force: true });
    },
  };
}
