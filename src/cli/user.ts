import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { AuditSource } from '../audit/events.js';
import { argon2idHasher, configuredPeersOf, createAuthServices, type ActingContext, type AuthServices } from '../auth/index.js';
import { systemClock } from '../clock/index.js';
import { loadConfig, type KakuteiConfig } from '../config/index.js';
import { openDatabase, type Database } from '../index/index.js';
import { createSqlAuditStore } from '../index/audit-store.js';
import { createIdentityStore } from '../index/identity-store.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, configurationProblems, parseCommandOptions, usageError } from './usage.js';

const HELP = `Usage: kakutei user add --username U --role ROLE [--role ROLE…] [--name "表示名"] [--kana "ヒョウジメイ"] --password-stdin

Creates a user. The password is read from standard input (one line), never from the command line.
The user must change it at first login. Roles: admin, technologist, chief-technologist, physician,
auditor, maintenance (see docs/ACCESS.md).

Options:
  --username U        login name (1–64 of A–Z a–z 0–9 . _ @ -)
  --role ROLE         a role; repeat for several
  --name NAME         display name (kanji), default the login name
  --kana KANA         reading of the name (kana)
  --password-stdin    read the password from standard input (required)
  --data DIR          data directory (default ./data, KAKUTEI_DATA_DIR)
  --config FILE       configuration file (KAKUTEI_CONFIG)
  -h, --help          this text
`;

/** The identity services over the configured database, for a one-shot command. */
export async function openIdentityServices(configuration: { readonly config?: string | undefined; readonly data?: string | undefined }): Promise<
  { ok: true; services: AuthServices; context: ActingContext; database: Database } | { ok: false; message: string }
> {
  const config = loadConfig({ configFile: configuration.config, dataDir: configuration.data });
  if (!config.ok) return { ok: false, message: configurationProblems(config.error) };
  const database = await openDatabase(databaseTarget(config.value), { info: () => undefined, error: () => undefined });
  const auditStore = createSqlAuditStore(database, { clock: systemClock });
  const store = createIdentityStore(database, { auditSinkFor: (trx) => auditStore.sinkFor(trx) });
  const services = createAuthServices(
    { store, clock: systemClock, settings: config.value.auth, hasher: argon2idHasher() },
    { configuredPeers: configuredPeersOf(config.value), openStorage: config.value.dicom.openStorage },
  );
  return { ok: true, services, context: { actor: { kind: 'system', component: 'cli' }, source: cliSource() }, database };
}

export { configuredPeersOf };

function databaseTarget(config: KakuteiConfig): string {
  return config.databaseUrl ?? join(config.dataDir, 'kakutei.sqlite');
}

/** The terminal, for the audit trail: who ran the command on which machine. */
function cliSource(): AuditSource {
  let account = 'unknown';
  try {
    account = userInfo().username;
  } catch {
    // no passwd entry (containers): keep 'unknown'
  }
  return { address: null, userAgent: `kakutei-cli ${account}@${hostname()}` };
}

export async function runUser(argv: readonly string[]): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand === '--help' || subcommand === '-h') {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  if (subcommand !== 'add') return usageError(subcommand === undefined ? 'user: missing subcommand' : `user: unknown subcommand ${subcommand}`, HELP);
  const values = parseCommandOptions(
    rest,
    {
      username: { type: 'string' },
      role: { type: 'string', multiple: true },
      name: { type: 'string' },
      kana: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      data: { type: 'string' },
      config: { type: 'string' },
    },
    HELP,
  );
  if (typeof values === 'number') return values;
  if (values.username === undefined) return usageError('--username is required', HELP);
  if (values.role === undefined || values.role.length === 0) return usageError('at least one --role is required', HELP);
  if (values['password-stdin'] !== true) return usageError('--password-stdin is required (passwords never go on the command line)', HELP);
  const password = await readPasswordLine();

  const opened = await openIdentityServices(values);
  if (!opened.ok) {
    process.stderr.write(`kakutei: ${opened.message}\n`);
    return EXIT_USAGE;
  }
  try {
    const created = await opened.services.users.createUser(opened.context, {
      loginName: values.username,
      displayName: values.name ?? null,
      kana: values.kana ?? null,
      roles: values.role,
      password,
      mustChangePassword: true,
    });
    if (!created.ok) {
      process.stderr.write(`kakutei: user add failed: ${created.error.code}${created.error.detail === undefined ? '' : ` (${created.error.detail})`}\n`);
      return created.error.code === 'INVALID_REQUEST' ? EXIT_USAGE : EXIT_FAILURE;
    }
    process.stdout.write(`created user ${created.value.loginName} (id ${created.value.id}, roles ${created.value.roles.join(', ')})\n`);
    return EXIT_OK;
  } finally {
    await opened.database.close();
  }
}

/** The first line of standard input, without its line ending. */
async function readPasswordLine(): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of process.stdin) {
    const buffer = chunk as Buffer;
    chunks.push(buffer);
    length += buffer.length;
    if (length > 64 * 1024) break;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.split(/\r?\n/, 1)[0] ?? '';
}
