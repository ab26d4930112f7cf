import type { Command, Option } from 'commander';
import type { Core } from '../core.js';
import { AccessTokenError, AccessTokenService } from './access-tokens.js';

interface Deps {
  configOpt: () => Option;
  dataOpt: () => Option;
  offlineCore: (opts: { config?: string; data?: string }, what: string) => Core;
}

const DAY = 86_400_000;

export class TokenCliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * Personal access tokens from the shell, for headless installs: a CI job's BERTH_TOKEN, a `docker login`
 * password for a robot user. Offline like `berth user` (the GUI and /api/v1/me/tokens do it while serving).
 */
export function registerTokenCommands(program: Command, deps: Deps): void {
  const token = program.command('token').description("manage users' personal access tokens (offline, on the data folder)");
  const withService = async <T>(opts: { config?: string; data?: string }, fn: (s: AccessTokenService) => T): Promise<T> => {
    const core = deps.offlineCore(opts, 'use the GUI (Access tokens)');
    const service = new AccessTokenService(core.meta.accessTokens, (u) => core.users.principalOf(u));
    try {
      return fn(service);
    } catch (e) {
      if (e instanceof AccessTokenError) throw new TokenCliError(e.message);
      throw e;
    } finally {
      service.close();
      core.close();
    }
  };
  token
    .command('create <user> <name>')
    .description('create a token for USER; prints the secret once (use it as BERTH_TOKEN, or as the password with docker login)')
    .addOption(deps.configOpt())
    .addOption(deps.dataOpt())
    .option('--expires-in-days <n>', 'lifetime in days; 0 = never expires', '90')
    .action(async (user: string, name: string, opts: { config?: string; data?: string; expiresInDays: string }) => {
      const days = Number(opts.expiresInDays);
      if (!Number.isInteger(days) || days < 0 || days > 3650) throw new TokenCliError('--expires-in-days must be a whole number of days from 0 (never) to 3650');
      await withService(opts, (s) => {
        const { token: secret, info } = s.create(user, name, days === 0 ? null : Date.now() + days * DAY);
        process.stdout.write(`${secret}\n`);
        process.stderr.write(`token ${info.id} "${info.name}" for ${info.username}, ${info.expiresAt ? `expires ${new Date(info.expiresAt).toISOString().slice(0, 10)}` : 'never expires'}; it is shown only now\n`);
      });
    });
  token
    .command('list <user>')
    .description("list USER's tokens (never their secrets)")
    .addOption(deps.configOpt())
    .addOption(deps.dataOpt())
    .action(async (user: string, opts: { config?: string; data?: string }) => {
      const day = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 10));
      await withService(opts, (s) => {
        for (const t of s.list(user)) process.stdout.write(`${t.id}\t${t.name}\tcreated ${day(t.createdAt)}\texpires ${t.expiresAt === null ? 'never' : day(t.expiresAt)}\tlast used ${day(t.lastUsedAt)}\n`);
      });
    });
  token
    .command('revoke <user> <id>')
    .description("revoke one of USER's tokens by its id (see token list)")
    .addOption(deps.configOpt())
    .addOption(deps.dataOpt())
    .action(async (user: string, id: string, opts: { config?: string; data?: string }) => {
      if (!/^\d+$/.test(id)) throw new TokenCliError(`a token id is a number (see berth token list ${user}), not ${id}`);
      await withService(opts, (s) => {
        s.revoke(user, Number(id));
        process.stdout.write(`revoked token ${id} of ${user}\n`);
      });
    });
}
