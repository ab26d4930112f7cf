/**
 * The one contract between the GUI (renderer) and the desktop shell (main): each channel with its
 * arguments and result. Preload exposes exactly these channels as `window.berthDesktop.invoke`; main
 * validates every argument and answers `{ result } | { error }`. The GUI works without it (in a browser).
 */

export interface AppInfo {
  version: string;
  /** Where the core listens, e.g. http://127.0.0.1:5000 */
  url: string;
  dataDir: string;
  platform: string;
}

export interface DesktopSettings {
  /** Port of the embedded registry; a change applies after a restart of the app. */
  port: number;
  /** Listen on every interface (other machines may pull) or only on this machine. */
  listenOnAllInterfaces: boolean;
  startOnLogin: boolean;
}

export interface BridgeContract {
  'app:info': { args: []; result: AppInfo };
  'settings:get': { args: []; result: DesktopSettings };
  'settings:update': { args: [Partial<DesktopSettings>]; result: DesktopSettings };
  'data:open-folder': { args: []; result: void };
}

export type Channel = keyof BridgeContract;

export type BridgeResponse<T> = { result: T } | { error: string };

/** What the renderer sees on `window.berthDesktop`. */
export interface BerthDesktopBridge {
  invoke<K extends Channel>(channel: K, ...args: BridgeContract[K]['args']): Promise<BridgeContract[K]['result']>;
}

/** Every channel, for the preload's allow-list (a compile error here if the contract grows without it). */
export const channels = ['app:info', 'settings:get', 'settings:update', 'data:open-folder'] as const satisfies readonly Channel[];
export const allChannelsListed: [Exclude<Channel, (typeof channels)[number]>] extends [never] ? true : never = true;
