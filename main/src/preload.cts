// Sandboxed preload: CommonJS, and it may require only 'electron'. Types come from the contract file; the
// channel allow-list is repeated here (a sandboxed preload cannot load our modules) and checked against the
// contract at compile time.
import { contextBridge, ipcRenderer } from 'electron';
import type { BerthDesktopBridge, BridgeResponse, Channel } from './contract.js';

const allowed = ['app:info', 'settings:get', 'settings:update', 'data:open-folder'] as const satisfies readonly Channel[];
const complete: [Exclude<Channel, (typeof allowed)[number]>] extends [never] ? true : never = true;
void complete;

const bridge: BerthDesktopBridge = {
  async invoke(channel, ...args) {
    if (!(allowed as readonly string[]).includes(channel)) throw new Error(`unknown channel ${String(channel)}`);
    const res = (await ipcRenderer.invoke(channel, ...args)) as BridgeResponse<never>;
    if ('error' in res) throw new Error(res.error);
    return res.result;
  },
};

contextBridge.exposeInMainWorld('berthDesktop', bridge);
