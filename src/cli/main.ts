// The commands; `kakutei.cts` is the executable that loads this module.
import { runPeer } from './peer.js';
import { runServe } from './serve.js';
import { runUser } from './user.js';
import { runVerify } from './verify.js';
import { EXIT_USAGE, usageError } from './usage.js';

const HELP = `kakutei — image inspection (検像) and record finalization (確定) server

Usage: kakutei <command> [options]

Commands:
  serve     run the server (DICOM + HTTP); logs JSON lines to stdout
  user      add a user (user add --username U --role ROLE … --password-stdin)
  peer      register, list and remove remote DICOM AEs (peer add|list|remove)
  verify    check stored objects against their hashes and the audit trail's chain and checkpoints

Every command takes --data DIR and --config FILE; "kakutei <command> --help" describes it.
Exit codes: 0 ok, 1 failure, 2 wrong usage.
`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return runServe(rest);
    case 'user':
      return runUser(rest);
    case 'peer':
      return runPeer(rest);
    case 'verify':
      return runVerify(rest);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(HELP);
      return command === undefined ? EXIT_USAGE : 0;
    default:
      return usageError(`unknown command: ${command}`, HELP);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (cause: unknown) => {
    console.error(cause instanceof Error ? (cause.stack ?? cause.message) : String(cause));
    process.exitCode = 1;
  },
);
