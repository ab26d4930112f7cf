import path from 'node:path';
import type Electron from 'electron';
import { z } from 'zod';
import type { AppInfo, BridgeContract, BridgeResponse, Channel, DesktopSettings } from './contract.js';
import { channels } from './contract.js';
import { SettingsFile, settingsUpdateSchema } from './settings.js';
import { TrayStatus, type CoreSignal } from './tray-status.js';

/** The running core, as the shell sees it. */
export interface RunningCore {
  url: string;
  dataDir: string;
  close(): Promise<void>;
  /**
   * Status signals for the tray: the current state first (replayed at once), then changes as they happen.
   * Returns an unsubscribe function.
   */
  watch?(onSignal: (s: CoreSignal) => void): () => void;
}

export type StartCore = (opts: { listen: string; dataDir: string; uiDir: string }) => Promise<RunningCore>;

/**
 * The parts of Electron the shell uses. Production passes the real module; unit tests pass fakes. This
 * seam (rather than mocking the 'electron' module) keeps the tests on plain node:test.
 */
export interface ElectronApi {
  app: Pick<
    Electron.App,
    'requestSingleInstanceLock' | 'quit' | 'whenReady' | 'getPath' | 'getVersion' | 'setLoginItemSettings' | 'getLoginItemSettings'
  > & { on(event: string, listener: (...args: any[]) => void): unknown };
  BrowserWindow: new (opts: Electron.BrowserWindowConstructorOptions) => Pick<Electron.BrowserWindow, 'loadURL' | 'show' | 'focus' | 'restore' | 'isMinimized' | 'isDestroyed' | 'once' | 'on'>;
  Tray: new (image: Electron.NativeImage) => Pick<Electron.Tray, 'setToolTip' | 'setContextMenu' | 'on'>;
  Menu: Pick<typeof Electron.Menu, 'buildFromTemplate'>;
  nativeImage: Pick<typeof Electron.nativeImage, 'createFromPath'>;
  ipcMain: Pick<Electron.IpcMain, 'handle'>;
  shell: Pick<Electron.Shell, 'openPath' | 'openExternal'>;
  session: { defaultSession: Pick<Electron.Session, 'setPermissionRequestHandler'> };
}

export interface DesktopOptions {
  electron: ElectronApi;
  startCore: StartCore;
  /** Folder with preload.cjs: the compiled main/src, i.e. <app>/dist/main/src. */
  mainDir: string;
  log?: (msg: string) => void;
}

type Window = InstanceType<ElectronApi['BrowserWindow']>;

/** Electron main: one instance, the core in-process, a locked-down window on its URL, a tray. */
export class DesktopApp {
  private window: Window | undefined;
  private core: RunningCore | undefined;
  private settings!: SettingsFile;
  private quitting = false;
  private trayStatus: TrayStatus | undefined;
  private unwatch: (() => void) | undefined;
  private readonly e: ElectronApi;
  private readonly log: (msg: string) => void;

  constructor(private readonly opts: DesktopOptions) {
    this.e = opts.electron;
    this.log = opts.log ?? ((m) => console.error(`berth: ${m}`));
  }

  /** Returns false when another instance is running (it gets focused instead, and this one quits). */
  async start(): Promise<boolean> {
    const { app } = this.e;
    if (!app.requestSingleInstanceLock()) {
      app.quit();
      return false;
    }
    app.on('second-instance', () => this.showWindow());
    app.on('web-contents-created', (_e: unknown, contents: Electron.WebContents) => this.lockDown(contents));
    // Closing the window keeps the registry serving from the tray; Quit in the tray ends it.
    app.on('window-all-closed', () => undefined);
    app.on('before-quit', (e: Electron.Event) => {
      if (this.quitting || !this.core) return;
      e.preventDefault();
      this.quitting = true;
      this.unwatch?.();
      this.core.close().finally(() => app.quit());
    });

    await app.whenReady();
    this.settings = new SettingsFile(app.getPath('userData'), this.log);
    const s = this.settings.read();
    this.e.session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
    this.registerIpc();
    this.core = await this.opts.startCore({
      listen: `${s.listenOnAllInterfaces ? '0.0.0.0' : '127.0.0.1'}:${s.port}`,
      dataDir: path.join(app.getPath('userData'), 'data'),
      uiDir: path.join(this.appRoot, 'renderer', 'dist'),
    });
    this.createTray();
    this.showWindow();
    return true;
  }

  /** The app's root (the repository in development, app.asar when packaged): three levels above dist/main/src. */
  private get appRoot(): string {
    return path.resolve(this.opts.mainDir, '..', '..', '..');
  }

  /** Same origin as the core: the only place the window may go. */
  isCoreUrl(url: string): boolean {
    if (!this.core) return false;
    try {
      return new URL(url).origin === new URL(this.core.url).origin;
    } catch {
      return false;
    }
  }

  private lockDown(contents: Electron.WebContents): void {
    // No new windows: links to elsewhere open in the user's browser, everything else is dropped.
    contents.setWindowOpenHandler(({ url }) => {
      if (/^https:\/\//.test(url)) void this.e.shell.openExternal(url);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event, url) => {
      if (!this.isCoreUrl(url)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!this.isCoreUrl(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  }

  showWindow(): void {
    if (!this.core) return;
    if (this.window && !this.window.isDestroyed()) {
      if (this.window.isMinimized()) this.window.restore();
      this.window.show();
      this.window.focus();
      return;
    }
    const win = new this.e.BrowserWindow({
      width: 1280,
      height: 800,
      minWidth: 960,
      minHeight: 600,
      show: false,
      title: 'Berth',
      backgroundColor: '#f4f6fa',
      webPreferences: {
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        spellcheck: false,
        preload: path.join(this.opts.mainDir, 'preload.cjs'),
      },
    });
    win.once('ready-to-show', () => win.show());
    win.on('closed', () => {
      this.window = undefined;
    });
    this.window = win;
    void win.loadURL(this.core.url);
  }

  private createTray(): void {
    const icon = this.e.nativeImage.createFromPath(path.join(this.appRoot, 'build', 'tray.png'));
    const tray = new this.e.Tray(icon);
    const status = new TrayStatus(this.core!.url);
    this.trayStatus = status;
    tray.on('click', () => this.showWindow());
    tray.setToolTip(status.view.tooltip);
    this.refreshTrayMenu(tray);
    this.unwatch = this.core!.watch?.((signal) => {
      if (!status.apply(signal)) return;
      tray.setToolTip(status.view.tooltip);
      this.refreshTrayMenu(tray);
    });
  }

  private refreshTrayMenu(tray: InstanceType<ElectronApi['Tray']>): void {
    const s = this.settings.read();
    tray.setContextMenu(
      this.e.Menu.buildFromTemplate([
        { label: this.trayStatus!.view.label, enabled: false },
        { type: 'separator' },
        { label: 'Open Berth', click: () => this.showWindow() },
        { label: 'Open in browser', click: () => void this.e.shell.openExternal(this.core!.url) },
        { label: 'Open data folder', click: () => void this.e.shell.openPath(this.core!.dataDir) },
        { type: 'separator' },
        {
          label: 'Start on login',
          type: 'checkbox',
          checked: s.startOnLogin,
          click: (item) => {
            this.applySettings({ startOnLogin: item.checked });
            this.refreshTrayMenu(tray);
          },
        },
        { type: 'separator' },
        { label: 'Quit Berth', click: () => this.e.app.quit() },
      ]),
    );
  }

  applySettings(change: Partial<DesktopSettings>): DesktopSettings {
    const next = this.settings.update(change);
    if (change.startOnLogin !== undefined) this.e.app.setLoginItemSettings({ openAtLogin: next.startOnLogin });
    return next;
  }

  private registerIpc(): void {
    const handlers: { [K in Channel]: (args: unknown[]) => BridgeContract[K]['result'] | Promise<BridgeContract[K]['result']> } = {
      'app:info': (): AppInfo => ({ version: this.e.app.getVersion(), url: this.core?.url ?? '', dataDir: this.core?.dataDir ?? '', platform: process.platform }),
      'settings:get': () => ({ ...this.settings.read(), startOnLogin: this.e.app.getLoginItemSettings().openAtLogin }),
      'settings:update': (args) => this.applySettings(z.tuple([settingsUpdateSchema]).parse(args)[0]),
      'data:open-folder': async (args) => {
        z.tuple([]).parse(args);
        if (this.core) await this.e.shell.openPath(this.core.dataDir);
      },
    };
    for (const channel of channels) {
      this.e.ipcMain.handle(channel, async (event, ...args): Promise<BridgeResponse<unknown>> => {
        // Only the Berth page itself may call the shell, never a page it was somehow navigated to.
        if (!this.isCoreUrl(event.senderFrame?.url ?? '')) return { error: 'not allowed from this page' };
        try {
          return { result: await handlers[channel](args) };
        } catch (e) {
          return { error: e instanceof z.ZodError ? `invalid arguments: ${e.issues[0]?.message ?? ''}` : (e as Error).message };
        }
      });
    }
  }
}
