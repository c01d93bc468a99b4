import { parseArgs } from 'node:util';
import { openIdentityServices } from './user.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, parsePort, usageError } from './usage.js';

const HELP = `Usage:
  kakutei peer add --ae-title T [--host H] [--port P] [--name N] --allow LIST
  kakutei peer list
  kakutei peer remove T

Registers, lists and removes remote DICOM application entities. Changes take effect in a running
server within seconds, without a restart. LIST is a comma-separated subset of
echo, store, query, retrieve, commit. Without --host the peer may call from any address.
Peers declared in the configuration file (dicom.peers) are listed too but are changed there.

Options:
  --data DIR          data directory (default ./data, KAKUTEI_DATA_DIR)
  --config FILE       configuration file (KAKUTEI_CONFIG)
  -h, --help          this text
`;

export async function runPeer(argv: readonly string[]): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand === '--help' || subcommand === '-h') {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  if (subcommand !== 'add' && subcommand !== 'list' && subcommand !== 'remove') {
    return usageError(subcommand === undefined ? 'peer: missing subcommand' : `peer: unknown subcommand ${subcommand}`, HELP);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: {
        'ae-title': { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        name: { type: 'string' },
        allow: { type: 'string' },
        data: { type: 'string' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: subcommand === 'remove',
    });
  } catch (cause) {
    return usageError((cause as Error).message, HELP);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  const port = parsePort(values.port, '--port');
  if (port instanceof Error) return usageError(port.message, HELP);
  if (subcommand === 'add' && (values['ae-title'] === undefined || values.allow === undefined)) return usageError('peer add needs --ae-title and --allow', HELP);
  if (subcommand === 'remove' && positionals.length !== 1) return usageError('peer remove needs exactly one AE title', HELP);

  const opened = await openIdentityServices(values);
  if (!opened.ok) {
    process.stderr.write(`kakutei: ${opened.message}\n`);
    return EXIT_USAGE;
  }
  const { services, context } = opened;
  try {
    if (subcommand === 'list') {
      for (const peer of await services.peers.list()) {
        const fields = [peer.aeTitle, peer.host ?? '*', peer.port === null ? '-' : String(peer.port), peer.services.join(','), peer.source, peer.name ?? ''];
        process.stdout.write(`${fields.join('\t')}\n`);
      }
      return EXIT_OK;
    }
    const result =
      subcommand === 'add'
        ? await services.peers.add(context, {
            aeTitle: values['ae-title'] ?? '',
            host: values.host ?? null,
            port: port ?? null,
            name: values.name ?? null,
            services: (values.allow ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
          })
        : await services.peers.remove(context, positionals[0] ?? '');
    if (!result.ok) {
      process.stderr.write(`kakutei: peer ${subcommand} failed: ${result.error.code}${result.error.detail === undefined ? '' : ` (${result.error.detail})`}\n`);
      return result.error.code === 'INVALID_REQUEST' ? EXIT_USAGE : EXIT_FAILURE;
    }
    process.stdout.write(subcommand === 'add' ? `registered ${values['ae-title'] ?? ''}\n` : `removed ${positionals[0] ?? ''}\n`);
    return EXIT_OK;
  } finally {
    await opened.database.close();
  }
}
