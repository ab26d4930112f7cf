import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DesktopApp, type ElectronApi, type RunningCore } from '../../../main/src/desktop-app.js';
import type { CoreSignal } from '../../../main/src/tray-status.js';

/*
 * The Electron main process with Electron replaced by recording fakes through DesktopApp's injection seam
 * (Electron's binary cannot run here). What is checked is what the shell decides: one instance, secure
 * window options, navigation and window-open denied, IPC validated by origin and arguments, tray, quit.
 */

type Listener = (...args: any[]) => void;

class Emitter {
  readonly listeners = new Map<string, Listener[]>();
  on(event: string, l: Listener) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), l]);
    return this;
  }
  once(event: string, l: Listener) {
    return this.on(event, l);
  }
  emit(event: string, ...args: unknown[]) {
    for (const l of this.listeners.get(event) ?? []) l(...args);
  }
}

function fakeElectron(opts: { lock?: boolean; userData: string }) {
  const calls = { quit: 0, loginItems: [] as unknown[], openedExternal: [] as string[], openedPaths: [] as string[] };
  const windows: FakeWindow[] = [];
  const trays: FakeTray[] = [];
  const ipc = new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>();
  let permissionHandler: ((wc: unknown, perm: string, cb: (ok: boolean) => void) => void) | undefined;
  const app = Object.assign(new Emitter(), {
    requestSingleInstanceLock: () => opts.lock ?? true,
    quit: () => {
      calls.quit++;
    },
    whenReady: async () => undefined,
    getPath: (name: string) => (name === 'userData' ? opts.userData : '/nonexistent'),
    getVersion: () => '9.9.9',
    setLoginItemSettings: (s: unknown) => {
      calls.loginItems.push(s);
    },
    getLoginItemSettings: () => ({ openAtLogin: (calls.loginItems.at(-1) as { openAtLogin?: boolean } | undefined)?.openAtLogin ?? false }),
  });
  class FakeWindow extends Emitter {
    loaded: string[] = [];
    shown = 0;
    focused = 0;
    constructor(readonly options: Electron.BrowserWindowConstructorOptions) {
      super();
      windows.push(this);
    }
    async loadURL(u: string) {
      this.loaded.push(u);
    }
    show() {
      this.shown++;
    }
    focus() {
      this.focused++;
    }
    restore() {}
    isMinimized() {
      return false;
    }
    isDestroyed() {
      return false;
    }
  }
  class FakeTray extends Emitter {
    tooltip = '';
    menu: Electron.MenuItemConstructorOptions[] = [];
    constructor(readonly image: unknown) {
      super();
      trays.push(this);
    }
    setToolTip(t: string) {
      this.tooltip = t;
    }
    setContextMenu(m: unknown) {
      this.menu = m as Electron.MenuItemConstructorOptions[];
    }
  }
  const electron = {
    app,
    BrowserWindow: FakeWindow,
    Tray: FakeTray,
    Menu: { buildFromTemplate: (t: Electron.MenuItemConstructorOptions[]) => t },
    nativeImage: { createFromPath: (p: string) => ({ path: p }) },
    ipcMain: {
      handle: (channel: string, fn: (event: unknown, ...args: unknown[]) => Promise<unknown>) => {
        ipc.set(channel, fn);
      },
    },
    shell: {
      openPath: async (p: string) => {
        calls.openedPaths.push(p);
        return '';
      },
      openExternal: async (u: string) => {
        calls.openedExternal.push(u);
      },
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: typeof permissionHandler) => {
          permissionHandler = h;
        },
      },
    },
  };
  return { electron: electron as unknown as ElectronApi, app, calls, windows, trays, ipc, permission: () => permissionHandler };
}

function setup(t: { after(fn: () => void): void }, lock = true) {
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-desktop-'));
  t.after(() => fs.rmSync(userData, { recursive: true, force: true }));
  const fake = fakeElectron({ lock, userData });
  const started: { listen: string; dataDir: string; uiDir: string }[] = [];
  let closed = 0;
  const app = new DesktopApp({
    electron: fake.electron,
    mainDir: '/opt/berth/resources/app.asar/dist/main/src',
    log: () => undefined,
    startCore: async (o): Promise<RunningCore> => {
      started.push(o);
      return { url: `http://127.0.0.1:${o.listen.split(':')[1]}`, dataDir: o.dataDir, close: async () => void closed++ };
    },
  });
  return { app, fake, started, userData, closed: () => closed };
}

test('a second instance quits without starting the core', async (t) => {
  const { app, fake, started } = setup(t, false);
  assert.equal(await app.start(), false);
  assert.equal(fake.calls.quit, 1);
  assert.equal(started.length, 0);
});

test('starts the core on the configured port and opens a locked-down window on it', async (t) => {
  const { app, fake, started, userData } = setup(t);
  fs.writeFileSync(path.join(userData, 'settings.json'), JSON.stringify({ port: 5123 }));
  assert.equal(await app.start(), true);
  assert.deepEqual(started, [{ listen: '127.0.0.1:5123', dataDir: path.join(userData, 'data'), uiDir: '/opt/berth/resources/app.asar/renderer/dist' }]);
  const win = fake.windows[0]!;
  assert.deepEqual(win.loaded, ['http://127.0.0.1:5123']);
  const wp = win.options.webPreferences!;
  assert.equal(wp.contextIsolation, true);
  assert.equal(wp.sandbox, true);
  assert.equal(wp.nodeIntegration, false);
  assert.equal(wp.webviewTag, false);
  assert.equal(wp.preload, '/opt/berth/resources/app.asar/dist/main/src/preload.cjs');
  // Every permission request (camera, notifications …) is refused.
  let granted: boolean | undefined;
  fake.permission()!(undefined, 'media', (ok) => (granted = ok));
  assert.equal(granted, false);
  // A second launch focuses the existing window instead of opening another.
  fake.app.emit('second-instance');
  assert.equal(fake.windows.length, 1);
  assert.equal(win.focused, 1);
});

test('navigation away from the core and new windows are denied', async (t) => {
  const { app, fake } = setup(t);
  await app.start();
  const contents = Object.assign(new Emitter(), {
    openHandler: undefined as undefined | ((d: { url: string }) => { action: string }),
    setWindowOpenHandler(h: (d: { url: string }) => { action: string }) {
      this.openHandler = h;
    },
  });
  fake.app.emit('web-contents-created', {}, contents);
  assert.deepEqual(contents.openHandler!({ url: 'https://example.com/docs' }), { action: 'deny' });
  assert.deepEqual(fake.calls.openedExternal, ['https://example.com/docs'], 'https links go to the system browser');
  assert.deepEqual(contents.openHandler!({ url: 'file:///etc/passwd' }), { action: 'deny' });
  assert.equal(fake.calls.openedExternal.length, 1);
  const nav = (url: string) => {
    let prevented = false;
    contents.emit('will-navigate', { preventDefault: () => (prevented = true) }, url);
    return prevented;
  };
  assert.equal(nav('http://127.0.0.1:5000/repositories'), false);
  assert.equal(nav('https://evil.example/'), true);
  assert.equal(nav('http://127.0.0.1:5001/'), true);
  assert.equal(nav('not a url'), true);
});

test('IPC answers only the Berth page, validates arguments, persists settings', async (t) => {
  const { app, fake, userData } = setup(t);
  await app.start();
  assert.deepEqual([...fake.ipc.keys()].sort(), ['app:info', 'data:open-folder', 'settings:get', 'settings:update']);
  const fromBerth = { senderFrame: { url: 'http://127.0.0.1:5000/settings' } };
  const info = await fake.ipc.get('app:info')!(fromBerth);
  assert.deepEqual(info, { result: { version: '9.9.9', url: 'http://127.0.0.1:5000', dataDir: path.join(userData, 'data'), platform: process.platform } });
  assert.deepEqual(await fake.ipc.get('app:info')!({ senderFrame: { url: 'https://evil.example/' } }), { error: 'not allowed from this page' });
  const bad = (await fake.ipc.get('settings:update')!(fromBerth, { port: 'eighty' })) as { error: string };
  assert.match(bad.error, /invalid arguments/);
  const extra = (await fake.ipc.get('settings:update')!(fromBerth, { shell: '/bin/sh' })) as { error: string };
  assert.match(extra.error, /invalid arguments/);
  const ok = await fake.ipc.get('settings:update')!(fromBerth, { startOnLogin: true, port: 5555 });
  assert.deepEqual(ok, { result: { port: 5555, listenOnAllInterfaces: false, startOnLogin: true } });
  assert.deepEqual(fake.calls.loginItems, [{ openAtLogin: true }]);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(userData, 'settings.json'), 'utf8')), { port: 5555, listenOnAllInterfaces: false, startOnLogin: true });
  await fake.ipc.get('data:open-folder')!(fromBerth);
  assert.deepEqual(fake.calls.openedPaths, [path.join(userData, 'data')]);
});

test('the tray shows the status and offers quick actions; quitting stops the core first', async (t) => {
  const { app, fake, closed } = setup(t);
  await app.start();
  const tray = fake.trays[0]!;
  assert.match(tray.tooltip, /running on http:\/\/127\.0\.0\.1:5000/);
  const labels = tray.menu.filter((i) => i.label).map((i) => i.label);
  assert.deepEqual(labels, ['Berth is running on 127.0.0.1:5000', 'Open Berth', 'Open in browser', 'Open data folder', 'Start on login', 'Quit Berth']);
  const startOnLogin = tray.menu.find((i) => i.label === 'Start on login')!;
  startOnLogin.click!({ checked: true } as Electron.MenuItem, undefined as never, undefined as never);
  assert.deepEqual(fake.calls.loginItems, [{ openAtLogin: true }]);
  assert.equal(fake.trays[0]!.menu.find((i) => i.label === 'Start on login')!.checked, true);
  // Quit: the first before-quit is held until the core has closed, then quit is called again.
  let prevented = false;
  fake.app.emit('before-quit', { preventDefault: () => (prevented = true) });
  assert.equal(prevented, true);
  await new Promise((r) => setImmediate(r));
  assert.equal(closed(), 1);
  assert.equal(fake.calls.quit, 1);
  let preventedAgain = false;
  fake.app.emit('before-quit', { preventDefault: () => (preventedAgain = true) });
  assert.equal(preventedAgain, false);
});

test('the tray reports upstream offline and replication failing from the core\'s signals, and recovers', async (t) => {
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-desktop-'));
  t.after(() => fs.rmSync(userData, { recursive: true, force: true }));
  const fake = fakeElectron({ userData });
  let emit: ((s: CoreSignal) => void) | undefined;
  let unsubscribed = 0;
  const app = new DesktopApp({
    electron: fake.electron,
    mainDir: '/opt/berth/resources/app.asar/dist/main/src',
    log: () => undefined,
    startCore: async (o): Promise<RunningCore> => ({
      url: `http://127.0.0.1:${o.listen.split(':')[1]}`,
      dataDir: o.dataDir,
      close: async () => undefined,
      watch(onSignal) {
        // the current state is replayed first: a rule whose last run failed before the app started
        onSignal({ type: 'replication', rule: 'nightly', ok: true });
        emit = onSignal;
        return () => void unsubscribed++;
      },
    }),
  });
  await app.start();
  const tray = fake.trays[0]!;
  const status = () => tray.menu[0]!.label;
  assert.equal(status(), 'Berth is running on 127.0.0.1:5000');
  assert.equal(tray.tooltip, 'Berth: running on http://127.0.0.1:5000');

  emit!({ type: 'upstream', registry: 'docker-hub', up: false });
  assert.equal(status(), 'Berth: upstream offline (docker-hub)');
  assert.match(tray.tooltip, /upstream offline \(docker-hub\)/);
  assert.equal(tray.menu[0]!.enabled, false);
  assert.ok(tray.menu.some((i) => i.label === 'Quit Berth'), 'quick actions stay');

  emit!({ type: 'replication', rule: 'to-hq', ok: false });
  assert.equal(status(), 'Berth: replication failing (to-hq); upstream offline (docker-hub)');
  emit!({ type: 'upstream', registry: 'docker-hub', up: true });
  assert.equal(status(), 'Berth: replication failing (to-hq)');
  assert.match(tray.tooltip, /^Berth on http:\/\/127\.0\.0\.1:5000: replication failing \(to-hq\)$/);
  // another rule succeeding does not clear it; the failing rule's next good run does
  emit!({ type: 'replication', rule: 'nightly', ok: true });
  assert.equal(status(), 'Berth: replication failing (to-hq)');
  emit!({ type: 'replication', rule: 'to-hq', ok: true });
  assert.equal(status(), 'Berth is running on 127.0.0.1:5000');
  assert.equal(tray.tooltip, 'Berth: running on http://127.0.0.1:5000');

  fake.app.emit('before-quit', { preventDefault: () => undefined });
  assert.equal(unsubscribed, 1, 'stops listening before the core closes');
});

test('a rule that failed before the app started shows at once', async (t) => {
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-desktop-'));
  t.after(() => fs.rmSync(userData, { recursive: true, force: true }));
  const fake = fakeElectron({ userData });
  const app = new DesktopApp({
    electron: fake.electron,
    mainDir: '/opt/berth/resources/app.asar/dist/main/src',
    log: () => undefined,
    startCore: async (o): Promise<RunningCore> => ({
      url: `http://127.0.0.1:${o.listen.split(':')[1]}`,
      dataDir: o.dataDir,
      close: async () => undefined,
      watch(onSignal) {
        onSignal({ type: 'replication', rule: 'to-hq', ok: false });
        return () => undefined;
      },
    }),
  });
  await app.start();
  assert.equal(fake.trays[0]!.menu[0]!.label, 'Berth: replication failing (to-hq)');
});
