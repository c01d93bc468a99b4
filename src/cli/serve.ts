import { loadConfig } from '../config/index.js';
import { createLogger } from '../log/index.js';
import { startServer } from '../server/index.js';
import { EXIT_FAILURE, EXIT_OK, configurationProblems, parseCommandOptions, parsePort, usageError } from './usage.js';

const HELP = `Usage: kakutei serve [options]

Runs the DICOM (C-ECHO, C-STORE) and HTTP (/healthz) services until SIGINT or SIGTERM.

Options:
  --data DIR          data directory: objects, the embedded database (default ./data, KAKUTEI_DATA_DIR)
  --config FILE       configuration file, JSON or YAML (KAKUTEI_CONFIG); see config/kakutei.sample.yaml
  --http-port PORT    HTTP port (default 8080, KAKUTEI_HTTP_PORT)
  --dicom-port PORT   DICOM port (default 11112, KAKUTEI_DICOM_PORT)
  --ae-title TITLE    our AE title (default KAKUTEI, KAKUTEI_AE_TITLE)
  -h, --help          this text
`;

export async function runServe(argv: readonly string[]): Promise<number> {
  const values = parseCommandOptions(
    argv,
    { data: { type: 'string' }, config: { type: 'string' }, 'http-port': { type: 'string' }, 'dicom-port': { type: 'string' }, 'ae-title': { type: 'string' } },
    HELP,
  );
  if (typeof values === 'number') return values;
  const httpPort = parsePort(values['http-port'], '--http-port');
  const dicomPort = parsePort(values['dicom-port'], '--dicom-port');
  if (httpPort instanceof Error) return usageError(httpPort.message, HELP);
  if (dicomPort instanceof Error) return usageError(dicomPort.message, HELP);

  const config = loadConfig({ configFile: values.config, dataDir: values.data, httpPort, dicomPort, aeTitle: values['ae-title'] });
  if (!config.ok) {
    console.error(`kakutei: ${configurationProblems(config.error)}`);
    return EXIT_USAGE_CONFIG;
  }
  const logger = createLogger(config.value.log.level);
  // Listening for the signals before starting: a service manager may stop us the moment we say
  // we are ready, and without a handler SIGTERM would end the process there and then — no final
  // audit checkpoint, associations cut mid-object. One received during start-up is acted on once
  // the server is up; a second one ends the process as usual (a start-up that hangs, e.g. on an
  // unreachable database, can still be ended).
  let starting = true;
  const stopRequested = new Promise<string>((resolve) => {
    const request = (signal: string): void => {
      if (starting) logger.info({ event: 'shutdown-requested', signal }, 'stopping once start-up has finished; the same signal again ends the process now');
      resolve(signal);
    };
    process.once('SIGINT', () => request('SIGINT'));
    process.once('SIGTERM', () => request('SIGTERM'));
  });
  const server = await startServer(config.value, logger);
  starting = false;
  if (!server.ok) {
    logger.error({ event: 'startup-failed', code: server.error.code, detail: server.error.detail }, 'kakutei could not start');
    return EXIT_FAILURE;
  }
  const signal = await stopRequested;
  logger.info({ event: 'shutdown', signal }, 'stopping');
  await server.value.close();
  return EXIT_OK;
}

/** An invalid configuration is a usage error: the operator must change what they gave us. */
const EXIT_USAGE_CONFIG = 2;
