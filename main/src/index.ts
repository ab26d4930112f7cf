// Electron entry point: the real electron module and the real core, wired into DesktopApp.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as electron from 'electron';
import { DesktopApp, type ElectronApi, type StartCore } from './desktop-app.js';
import { watchCoreSignals } from './core-signals.js';

const startCore: StartCore = async ({ listen, dataDir, uiDir }) => {
  // Loaded lazily so a second instance exits before opening the database.
  const { startServer } = await import('../../registry/src/server.js');
  const { validateConfig } = await import('../../registry/src/config/load.js');
  const server = await startServer(validateConfig({ listen, data: dataDir }), { uiDir });
  const { core } = server;
  return {
    url: server.url,
    dataDir,
    close: () => server.close(),
    watch: (onSignal) => watchCoreSignals(core, onSignal),
  };
};

const desktop = new DesktopApp({
  electron: electron as unknown as ElectronApi,
  startCore,
  mainDir: path.dirname(fileURLToPath(import.meta.url)),
});

desktop.start().catch((e: unknown) => {
  electron.dialog.showErrorBox('Berth could not start', (e as Error).message);
  electron.app.exit(1);
});
