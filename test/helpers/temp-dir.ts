import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/*
 * Kept apart from test-registry.ts on purpose: importing that module loads the whole server (and undici,
 * which installs itself as the global fetch dispatcher), which the benchmark's own HTTP client must not get.
 */
export function tempDir(prefix = 'berth-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
