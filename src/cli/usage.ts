import { parseArgs, type ParseArgsConfig } from 'node:util';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function usageError(message: string, help: string): number {
  process.stderr.write(`kakutei: ${message}\n\n${help}`);
  return EXIT_USAGE;
}

export function parsePort(text: string | undefined, flag: string): number | undefined | Error {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) return new Error(`${flag} must be a port number (0–65535)`);
  return value;
}

type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/**
 * The options of a command without positionals, `--help`/`-h` added: their values, or the exit code
 * once a usage error or the help text has been written.
 */
export function parseCommandOptions<O extends CommandOptions>(argv: readonly string[], options: O, help: string) {
  const config = {
    args: [...argv],
    options: { ...options, help: { type: 'boolean', short: 'h' } } as O & { readonly help: { readonly type: 'boolean'; readonly short: 'h' } },
    strict: true,
    allowPositionals: false,
  } as const;
  let parsed: ReturnType<typeof parseArgs<typeof config>>;
  try {
    parsed = parseArgs(config);
  } catch (cause) {
    return usageError((cause as Error).message, help);
  }
  if ((parsed.values as { readonly help?: boolean }).help === true) {
    process.stdout.write(help);
    return EXIT_OK;
  }
  return parsed.values;
}

/** The lines that tell an operator what is wrong with the configuration, one problem each. */
export function configurationProblems(problems: readonly { readonly path: string; readonly message: string }[]): string {
  return `the configuration is invalid:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`;
}
