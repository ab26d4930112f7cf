import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate, schemaVersion } from '../../../registry/src/meta/db.js';
import { ScanReportTable } from '../../../registry/src/meta/scan-reports.js';

test('migration 5 (vulnerability database, scan reports) on a version 4 database keeps its projects and links to them', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-mig5-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = new Database(path.join(dir, 'berth.db'));
  try {
    db.pragma('foreign_keys = ON');
    migrate(db, undefined, 4);
    assert.equal(schemaVersion(db), 4);
    db.prepare("INSERT INTO projects (name, public, kind, created_at) VALUES ('prod', 0, 'local', 1)").run();
    migrate(db, undefined, 5);
    assert.equal(schemaVersion(db), 5);
    const reports = new ScanReportTable(db);
    assert.deepEqual(reports.projectSettings('prod'), { scanOnPush: false, gateSeverity: undefined, gateUnscanned: 'allow', allowlist: [] });
    reports.setProjectSettings('prod', { scanOnPush: true, gateSeverity: 'high', gateUnscanned: 'block', allowlist: [{ id: 'CVE-2024-1', expiresAt: 5 }] });
    assert.deepEqual(reports.projectSettings('prod'), { scanOnPush: true, gateSeverity: 'high', gateUnscanned: 'block', allowlist: [{ id: 'CVE-2024-1', expiresAt: 5 }] });
    assert.throws(() => reports.setProjectSettings('nope', { scanOnPush: true, gateSeverity: undefined, gateUnscanned: 'allow', allowlist: [] }), /FOREIGN KEY/);
    db.prepare("DELETE FROM projects WHERE name = 'prod'").run();
    assert.equal(reports.projectSettings('prod').scanOnPush, false, 'settings go with their project');
  } finally {
    db.close();
  }
});
