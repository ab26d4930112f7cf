import type { Command, Option } from 'commander';
import { migrateSecrets, openBackend, openSecretStore, pinBackend, type Backend } from './index.js';
import { assertSecretName, SecretStoreError } from './secret-store.js';
import { StoragePaths } from '../store/paths.js';

interface Deps {
  configOpt: () => Option;
  dataOpt: () => Option;
  dataDir: (opts: { config?: string; data?: string }) => string;
}

/**
 * `berth secret set NAME` (value on standard input), `berth secret list`, `berth secret delete NAME`,
 * `berth secret migrate --to keychain|file`. They work on the secret store directly, also while a server runs:
 * the server reads secrets when it needs them (a migration takes effect in a server at its next start).
 */
export function registerSecretCommands(program: Command, deps: Deps): void {
  const paths = (opts: { config?: string; data?: string }) => {
    const data = deps.dataDir(opts);
    return { dataDir: data, secretsDir: new StoragePaths(data).secretsDir };
  };
  const open = (opts: { config?: string; data?: string }) => openSecretStore(paths(opts));
  const secret = program
    .command('secret')
    .description('manage upstream passwords and tokens (OS keychain, or an encrypted file in <data>/secrets)');
  secret
    .command('set <name>')
    .description('store a secret read from standard input, e.g. printf %s "$TOKEN" | berth secret set registry:hq')
    .addOption(deps.configOpt())
    .addOption(deps.dataOpt())
    .action(async (name: string, opts: { config?: string; data?: string }) => {
      assertSecretName(name);
      if (process.stdin.isTTY) throw new SecretStoreError(`pipe the secret on standard input, e.g. printf %s "$TOKEN" | berth secret set ${name}`);
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      const value = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
      if (value === '') throw new SecretStoreError('the secret read from standard input is empty');
      const store = await open(opts);
      await store.set(name, value);
      process.stdout.write(`stored ${name} (${store.kind})\n`);
    });
  secret
    .command('list')
    .description('list secret names (never values)')
    .addOption(deps.configOpt())
    .addOption(deps.dataOpt())
    .action(async (opts: { config?: string; data?: string }) => {
      const store = await open(opts);
      for (const n of await store.list()) process.stdout.write(`${n}\n`);
    });
  secret
    .command('delete <name>')
    .addOption(deps.configOpt())
    .addOption(deps.dataOpt())
    .action(async (name: string, opts: { config?: string; data?: string }) => {
      const store = await open(opts);
      if (!(await store.delete(name))) throw new SecretStoreError(`no secret named ${name}`);
      process.stdout.write(`deleted ${name}\n`);
    });
  secret
    .command('migrate')
    .description('move every secret to the OS keychain or the encrypted file (each is verified before the source copy is deleted)')
    .requiredOption('--to <backend>', 'keychain or file')
    .addOption(deps.configOpt())
    .addOption(deps.dataOpt())
    .action(async (opts: { to: string; config?: string; data?: string }) => {
      if (opts.to !== 'keychain' && opts.to !== 'file') throw new SecretStoreError(`--to must be keychain or file, not ${opts.to}`);
      const to: Backend = opts.to;
      const p = paths(opts);
      const [source, dest] = await Promise.all([openBackend(to === 'file' ? 'keychain' : 'file', p), openBackend(to, p)]);
      const moved = await migrateSecrets(source, dest, () => pinBackend(p.secretsDir, to));
      process.stdout.write(`moved ${moved.length} secret${moved.length === 1 ? '' : 's'} from the ${source.kind} store to the ${dest.kind} store\n`);
    });
}
