import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Result } from '../errors/index.js';
import { err, ok } from '../errors/index.js';
import type { KakuteiConfig } from './schema.js';
import { configSchema } from './schema.js';

/** Values given on the command line; each wins over the environment and the file. */
export interface ConfigOverrides {
  readonly configFile?: string | undefined;
  readonly dataDir?: string | undefined;
  readonly httpPort?: number | undefined;
  readonly dicomPort?: number | undefined;
  readonly aeTitle?: string | undefined;
}

export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Precedence (INTERFACES.md): command-line flag > KAKUTEI_* environment variable > config file
 * (KAKUTEI_CONFIG or --config; JSON or YAML) > default. All problems are reported at once.
 */
export function loadConfig(overrides: ConfigOverrides, env: Env = process.env): Result<KakuteiConfig, readonly ConfigProblem[]> {
  const problems: ConfigProblem[] = [];
  const configFile = overrides.configFile ?? env['KAKUTEI_CONFIG'];
  let fromFile: Record<string, unknown> = {};
  if (configFile !== undefined && configFile !== '') {
    const parsed = readConfigFile(configFile);
    if (parsed.ok) fromFile = parsed.value;
    else problems.push({ path: configFile, message: parsed.error });
  }

  const merged = structuredClone(fromFile);
  const set = (path: readonly string[], value: unknown): void => {
    if (value === undefined) return;
    let node = merged;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1] as string] = value;
  };
  const envNumber = (name: string): number | undefined => {
    const text = env[name];
    if (text === undefined || text === '') return undefined;
    const value = Number(text);
    if (!Number.isInteger(value)) problems.push({ path: name, message: 'must be an integer' });
    return value;
  };
  const envText = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);

  set(['dataDir'], envText('KAKUTEI_DATA_DIR'));
  set(['databaseUrl'], envText('KAKUTEI_DATABASE_URL'));
  set(['http', 'port'], envNumber('KAKUTEI_HTTP_PORT'));
  set(['dicom', 'port'], envNumber('KAKUTEI_DICOM_PORT'));
  set(['dicom', 'aeTitle'], envText('KAKUTEI_AE_TITLE'));
  set(['log', 'level'], envText('KAKUTEI_LOG_LEVEL'));

  set(['dataDir'], overrides.dataDir);
  set(['http', 'port'], overrides.httpPort);
  set(['dicom', 'port'], overrides.dicomPort);
  set(['dicom', 'aeTitle'], overrides.aeTitle);

  const validated = configSchema.safeParse(merged);
  if (!validated.success) {
    for (const issue of validated.error.issues) problems.push({ path: issue.path.join('.') || '(root)', message: issue.message });
  }
  if (problems.length > 0 || !validated.success) return err(problems);
  return ok({ ...validated.data, dataDir: resolve(validated.data.dataDir) });
}

function readConfigFile(path: string): Result<Record<string, unknown>, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    return err(`cannot read the file (${(cause as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const value: unknown = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
    if (value === null || value === undefined) return ok({});
    if (typeof value !== 'object' || Array.isArray(value)) return err('the file must hold an object');
    return ok(value as Record<string, unknown>);
  } catch (cause) {
    return err(`cannot parse the file: ${(cause as Error).message}`);
  }
}
