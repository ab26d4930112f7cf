import type { DefinitionSource } from '../meta/remotes.js';

/*
 * The ownership rule (issue 12): what the config file declares belongs to the file. Only reconciliation
 * (config/reconcile.ts, run by `serve` and `berth config apply`) writes it; the admin API and the GUI may read
 * it but not change or delete it. A definition the file stopped declaring is detached: kept read-only (a
 * proxy project keeps serving its cache) until an admin deletes it.
 */

export class OwnershipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OwnershipError';
  }
}

export interface Owned {
  source: DefinitionSource;
  detached: boolean;
}

/** Throws when the admin API may not change (or delete) this definition. */
export function assertApiMayEdit(what: string, def: Owned, action: 'change' | 'delete'): void {
  if (def.source !== 'file') return;
  if (!def.detached) {
    throw new OwnershipError(
      action === 'change'
        ? `${what} is defined in the config file; change it there, then restart Berth or run berth config apply`
        : `${what} is defined in the config file; remove it there, then restart Berth or run berth config apply`,
    );
  }
  if (action === 'change') throw new OwnershipError(`${what} was removed from the config file and is detached (read-only); delete it, or declare it in the config file again`);
}
