import { join } from 'node:path';
import { runVerification } from '../audit/index.js';
import { loadConfig } from '../config/index.js';
import { createSqlAuditStore, createStoredObjectCatalog, openDatabase } from '../index/index.js';
import { systemClock } from '../clock/index.js';
import { createFilesystemStore } from '../storage/index.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, configurationProblems, parseCommandOptions, usageError } from './usage.js';

const HELP = `Usage: kakutei verify [options]

Checks every stored object against its recorded SHA-256 and the audit trail: every event's hash,
the continuity of the chain, and the chain against the signed checkpoints (<data>/audit/checkpoints.jsonl
and each --checkpoint FILE). Prints one line per problem on stdout; progress goes to stderr.
Exit codes: 0 all holds, 1 problems found (or the check could not run), 2 wrong usage.

Options:
  --data DIR             data directory (default ./data, KAKUTEI_DATA_DIR)
  --config FILE          configuration file, JSON or YAML (KAKUTEI_CONFIG)
  --checkpoint FILE      another checkpoint file to hold the chain against (repeatable)
  --public-key FILE      the checkpoints' public key (default <data>/keys/audit-signing.pub)
  --resume               continue an interrupted run from <data>/audit/verify-progress.json
  --progress-every N     a progress line on stderr every N objects (default 1000)
  -h, --help             this text
`;

export async function runVerify(argv: readonly string[]): Promise<number> {
  const values = parseCommandOptions(
    argv,
    {
      data: { type: 'string' },
      config: { type: 'string' },
      checkpoint: { type: 'string', multiple: true },
      'public-key': { type: 'string' },
      resume: { type: 'boolean' },
      'progress-every': { type: 'string' },
    },
    HELP,
  );
  if (typeof values === 'number') return values;
  const progressEvery = values['progress-every'] === undefined ? 1000 : Number(values['progress-every']);
  if (!Number.isSafeInteger(progressEvery) || progressEvery < 1) return usageError('--progress-every must be a positive integer', HELP);

  const config = loadConfig({ configFile: values.config, dataDir: values.data });
  if (!config.ok) {
    process.stderr.write(`kakutei: ${configurationProblems(config.error)}\n`);
    return EXIT_USAGE;
  }
  const { dataDir, databaseUrl } = config.value;
  const logger = { info: () => undefined, error: () => undefined };
  let database;
  try {
    database = await openDatabase(databaseUrl ?? join(dataDir, 'kakutei.sqlite'), logger);
  } catch (cause) {
    process.stderr.write(`kakutei verify: cannot open the database: ${(cause as Error).message}\n`);
    return EXIT_FAILURE;
  }
  // The server may be running: its objects being written, and its reserve, are in tmp/.
  const objects = await createFilesystemStore({ rootDir: join(dataDir, 'objects'), removeStaleTempFiles: false });
  try {
    const result = await runVerification({
      dataDir,
      events: createSqlAuditStore(database, { clock: systemClock }),
      catalog: createStoredObjectCatalog(database),
      objects,
      checkpointFiles: values.checkpoint ?? [],
      ...(values['public-key'] === undefined ? {} : { publicKeyFile: values['public-key'] }),
      resume: values.resume === true,
      progressEvery,
      onProblem: (line) => process.stdout.write(`${line}\n`),
      onProgressLine: (line) => process.stderr.write(`${line}\n`),
    });
    return result.problems.length === 0 ? EXIT_OK : EXIT_FAILURE;
  } finally {
    await objects.close();
    await database.close();
  }
}
