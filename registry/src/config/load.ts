import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { configSchema, type BerthConfig } from './schema.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Command-line flags, already in config shape. */
  flags?: Record<string, unknown>;
}

/** Environment variables that override the file (flags override both). */
const envMap: { name: string; path: string[]; parse?: (v: string) => unknown }[] = [
  { name: 'BERTH_LISTEN', path: ['listen'] },
  { name: 'BERTH_DATA', path: ['data'] },
  { name: 'BERTH_EXTERNAL_URL', path: ['externalUrl'] },
  { name: 'BERTH_LOG_LEVEL', path: ['log', 'level'] },
  // Anything but true/1/false/0 is passed on as a string so validation names the field instead of reading `false`.
  { name: 'BERTH_LOG_REQUESTS', path: ['log', 'requests'], parse: (v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v) },
  { name: 'BERTH_GC_SCHEDULE', path: ['gc', 'schedule'] },
  { name: 'BERTH_GC_GRACE_MINUTES', path: ['gc', 'graceMinutes'], parse: Number },
  { name: 'BERTH_TOKEN_TTL_SECONDS', path: ['auth', 'tokenTtlSeconds'], parse: Number },
];

/** Loads and validates configuration: defaults ← YAML file ← environment ← flags. Errors name the field. */
export function loadConfig(sources: ConfigSources = {}): BerthConfig {
  const env = sources.env ?? process.env;
  let fromFile: Record<string, unknown> = {};
  const file = sources.file ?? env.BERTH_CONFIG;
  if (file) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (e) {
      throw new ConfigError(`config file ${file} is not valid YAML: ${(e as Error).message}`);
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${file} must be a mapping`);
      fromFile = parsed as Record<string, unknown>;
    }
  }
  const merged = structuredClone(fromFile);
  // Which variable or flag set a key, so an error names where the bad value came from (not the file).
  const setBy = new Map<string, string>();
  for (const m of envMap) {
    const v = env[m.name];
    if (v !== undefined && v !== '') {
      setPath(merged, m.path, m.parse ? m.parse(v) : v);
      setBy.set(m.path.join('.'), `from ${m.name}`);
    }
  }
  for (const [k, v] of Object.entries(sources.flags ?? {})) {
    if (v === undefined) continue;
    setPath(merged, k.split('.'), v);
    setBy.set(k, 'from a command-line flag');
  }
  return validateConfig(merged, file, setBy);
}

export function validateConfig(input: unknown, origin = 'configuration', setBy: ReadonlyMap<string, string> = new Map()): BerthConfig {
  const r = configSchema.safeParse(input);
  if (!r.success) throw new ConfigError(formatIssues(r.error, origin, setBy));
  return r.data;
}

function formatIssues(error: z.ZodError, origin: string, setBy: ReadonlyMap<string, string>): string {
  const lines = error.issues.map((i) => {
    const key = i.path.join('.');
    const source = setBy.get(key);
    return `  ${key || '<root>'}: ${i.message}${source ? ` (${source})` : ''}`;
  });
  return `invalid ${origin}:\n${lines.join('\n')}`;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let o = target;
  for (const key of path.slice(0, -1)) {
    const next = o[key];
    if (typeof next !== 'object' || next === null) o[key] = {};
    o = o[key] as Record<string, unknown>;
  }
  o[path[path.length - 1]!] = value;
}
